// The simulator's etcd: every object by resource and key, one global resourceVersion counter, and a bounded
// history of changes that watches replay from. Objects are never mutated in place: a change stores a new
// object, so what a watcher was handed stays what it was.
import { randomUUID } from 'node:crypto';
import { alreadyExists, conflict, notFound } from './status.ts';

/** A Kubernetes object as JSON (metadata always present). */
export type Obj = Record<string, any> & { metadata: Record<string, any> };

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface Change {
  rv: number;
  type: EventType;
  resource: string;
  obj: Obj;
  /** The object before a MODIFIED, so a selector watch can tell "started/stopped matching". */
  old?: Obj;
}

export type Listener = (change: Change) => void;

const keyOf = (ns: string | undefined, name: string) => (ns ? `${ns}/${name}` : name);

let lastSecond = 0;
let lastText = '';

/** RFC 3339 at seconds, as the API server writes timestamps (one string per second: seeding makes many). */
export function now(): string {
  const second = Math.floor(Date.now() / 1000);
  if (second !== lastSecond) {
    lastSecond = second;
    lastText = new Date(second * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
  return lastText;
}

export class Store {
  private rv = 1000;
  private readonly objects = new Map<string, Map<string, Obj>>();
  private readonly sorted = new Map<string, Obj[]>();
  private history: Change[] = [];
  /** Watches may resume from any resourceVersion >= this; older ones get 410. */
  private oldest = 1000;
  private readonly listeners = new Map<string, Set<Listener>>();

  private readonly historySize: number;

  constructor(historySize: number) {
    this.historySize = historySize;
  }

  get resourceVersion(): number {
    return this.rv;
  }

  get oldestResourceVersion(): number {
    return this.oldest;
  }

  private table(resource: string): Map<string, Obj> {
    let t = this.objects.get(resource);
    if (!t) {
      t = new Map();
      this.objects.set(resource, t);
    }
    return t;
  }

  get(resource: string, ns: string | undefined, name: string): Obj | undefined {
    return this.objects.get(resource)?.get(keyOf(ns, name));
  }

  mustGet(resource: string, ns: string | undefined, name: string): Obj {
    const o = this.get(resource, ns, name);
    if (!o) throw notFound(resource, name);
    return o;
  }

  /** Every object of `resource` (in `ns` when given), ordered by key like the real server's lists. */
  list(resource: string, ns?: string): Obj[] {
    let all = this.sorted.get(resource);
    if (!all) {
      const t = this.objects.get(resource);
      const keys = t ? [...t.keys()].sort() : [];
      all = keys.map((k) => t!.get(k)!);
      this.sorted.set(resource, all);
    }
    return ns ? all.filter((o) => o.metadata.namespace === ns) : all;
  }

  count(resource: string): number {
    return this.objects.get(resource)?.size ?? 0;
  }

  /** Stores a new object: uid, creationTimestamp and the next resourceVersion are the server's to set. */
  create(resource: string, obj: Obj): Obj {
    const m = obj.metadata;
    const t = this.table(resource);
    const key = keyOf(m.namespace, m.name);
    if (t.has(key)) throw alreadyExists(resource, m.name);
    const rv = ++this.rv;
    const stored: Obj = {
      ...obj,
      metadata: { ...m, uid: randomUUID(), resourceVersion: String(rv), creationTimestamp: now() },
    };
    t.set(key, stored);
    this.sorted.delete(resource);
    this.commit({ rv, type: 'ADDED', resource, obj: stored });
    return stored;
  }

  /**
   * Replaces an object with `next` (built by the caller from the current one). A resourceVersion in
   * `expectRv` that is not the current one is a 409 Conflict, as for an update with a stale object.
   */
  update(resource: string, next: Obj, expectRv?: string): Obj {
    const m = next.metadata;
    const t = this.table(resource);
    const key = keyOf(m.namespace, m.name);
    const old = t.get(key);
    if (!old) throw notFound(resource, m.name);
    if (expectRv !== undefined && expectRv !== '' && expectRv !== old.metadata.resourceVersion)
      throw conflict(resource, m.name);
    const rv = ++this.rv;
    const stored: Obj = {
      ...next,
      metadata: {
        ...m,
        uid: old.metadata.uid,
        creationTimestamp: old.metadata.creationTimestamp,
        resourceVersion: String(rv),
      },
    };
    t.set(key, stored);
    this.sorted.delete(resource);
    this.commit({ rv, type: 'MODIFIED', resource, obj: stored, old });
    return stored;
  }

  /** Changes an object through `edit` (a function of the current object), keeping everything else. */
  modify(resource: string, ns: string | undefined, name: string, edit: (o: Obj) => Obj): Obj | undefined {
    const cur = this.get(resource, ns, name);
    return cur ? this.update(resource, edit(structuredClone(cur))) : undefined;
  }

  /** Removes an object for good; the DELETED event carries it at a new resourceVersion. */
  remove(resource: string, ns: string | undefined, name: string): Obj {
    const t = this.table(resource);
    const key = keyOf(ns, name);
    const old = t.get(key);
    if (!old) throw notFound(resource, name);
    t.delete(key);
    this.sorted.delete(resource);
    const rv = ++this.rv;
    const gone: Obj = { ...old, metadata: { ...old.metadata, resourceVersion: String(rv) } };
    this.commit({ rv, type: 'DELETED', resource, obj: gone, old });
    return gone;
  }

  private commit(change: Change): void {
    this.history.push(change);
    // Trimmed in chunks so each write stays O(1) amortised.
    if (this.history.length > 2 * this.historySize) this.compact(this.historySize);
    for (const l of this.listeners.get(change.resource) ?? []) l(change);
  }

  /** Keeps only the last `keep` changes; resuming before them is then 410 Gone. */
  compact(keep = 0): void {
    const drop = Math.max(0, this.history.length - keep);
    if (drop === 0) return;
    this.oldest = this.history[drop - 1]!.rv;
    this.history = this.history.slice(drop);
  }

  /** The changes to `resource` after `rv`, or null when `rv` is older than the history window. */
  changesSince(resource: string, rv: number): Change[] | null {
    if (rv < this.oldest) return null;
    let lo = 0;
    let hi = this.history.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.history[mid]!.rv <= rv) lo = mid + 1;
      else hi = mid;
    }
    return this.history.slice(lo).filter((c) => c.resource === resource);
  }

  subscribe(resource: string, listener: Listener): () => void {
    let set = this.listeners.get(resource);
    if (!set) {
      set = new Set();
      this.listeners.set(resource, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }
}
