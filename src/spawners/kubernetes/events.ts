import { Listeners } from './listeners.ts';
import type { Raw, Sink } from './reflector.ts';

/** What the hub keeps of a pod's event: enough for a progress line and a failure message. */
export interface EventView {
  uid: string;
  /** namespace/name of the pod the event is about. */
  pod: string;
  type: string;
  reason: string;
  message: string;
  /** When it (last) happened, ms since the epoch. */
  at: number;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const obj = (v: unknown): Raw => (v !== null && typeof v === 'object' ? (v as Raw) : {});

function time(...vs: unknown[]): number {
  for (const v of vs) {
    if (v instanceof Date) return v.getTime();
    if (typeof v === 'string' && v !== '') {
      const t = Date.parse(v);
      if (!Number.isNaN(t)) return t;
    }
  }
  return Date.now();
}

export function eventView(raw: Raw): EventView | null {
  const involved = obj(raw.involvedObject);
  if (involved.kind !== 'Pod') return null;
  const metadata = obj(raw.metadata);
  return {
    uid: str(metadata.uid) || `${str(metadata.namespace)}/${str(metadata.name)}`,
    pod: `${str(involved.namespace) || str(metadata.namespace)}/${str(involved.name)}`,
    type: str(raw.type),
    reason: str(raw.reason),
    message: str(raw.message),
    at: time(raw.lastTimestamp, raw.eventTime, raw.firstTimestamp, metadata.creationTimestamp),
  };
}

/**
 * The pod events the hub keeps: only those of pods it cares about (its server pods, and pods being
 * created), at most `maxCount` of them and none older than `maxAgeMs`, so memory stays flat however
 * many events the cluster makes (KubeSpawner's event reflector keeps every one of the namespace).
 */
export class EventStore implements Sink<EventView> {
  /** Insertion order is age order: the oldest is first, and is dropped first. */
  readonly #events = new Map<string, EventView>();
  readonly #byPod = new Map<string, Set<string>>();
  readonly #listeners = new Listeners<EventView>();
  readonly #wanted: (pod: string) => boolean;
  readonly #maxCount: number;
  readonly #maxAgeMs: number;

  constructor(o: { wanted: (pod: string) => boolean; maxCount: number; maxAgeMs: number }) {
    this.#wanted = o.wanted;
    this.#maxCount = o.maxCount;
    this.#maxAgeMs = o.maxAgeMs;
  }

  get size(): number {
    return this.#events.size;
  }

  /** This pod's events kept so far, oldest first. */
  forPod(pod: string): EventView[] {
    const uids = this.#byPod.get(pod);
    if (!uids) return [];
    return [...uids].map((u) => this.#events.get(u)!).sort((a, b) => a.at - b.at);
  }

  /** Calls `fn` on each new or updated event of this pod until the returned function is called. */
  subscribe(pod: string, fn: (e: EventView) => void): () => void {
    return this.#listeners.on(pod, fn);
  }

  /** Forgets a pod's events (its server is gone). */
  forget(pod: string): void {
    for (const uid of this.#byPod.get(pod) ?? []) this.#events.delete(uid);
    this.#byPod.delete(pod);
  }

  replace(items: Map<string, EventView>): void {
    // A relist brings back events already seen: only new ones (or newer counts) reach the listeners.
    for (const e of items.values()) this.#add(e, false);
    this.#prune();
  }

  upsert(_key: string, e: EventView): void {
    this.#add(e, true);
    this.#prune();
  }

  remove(key: string): void {
    // An event object that expires in the cluster changes nothing here: age and count bound the store.
    void key;
  }

  #add(e: EventView, isNew: boolean): void {
    if (!this.#listeners.has(e.pod) && !this.#wanted(e.pod)) return;
    // Already too old to keep (a relist brings back the namespace's past).
    if (e.at < Date.now() - this.#maxAgeMs) return;
    const old = this.#events.get(e.uid);
    if (old && old.at === e.at && old.message === e.message && !isNew) return;
    if (old) this.#events.delete(e.uid);
    this.#events.set(e.uid, e);
    const uids = this.#byPod.get(e.pod) ?? new Set<string>();
    this.#byPod.set(e.pod, uids);
    uids.add(e.uid);
    this.#listeners.emit(e.pod, e);
  }

  #prune(): void {
    const cutoff = Date.now() - this.#maxAgeMs;
    // Arrival order is nearly time order, so the walk stops at the first event young enough to keep.
    for (const [uid, e] of this.#events) {
      if (this.#events.size <= this.#maxCount && e.at >= cutoff) break;
      this.#drop(uid, e);
    }
  }

  #drop(uid: string, e: EventView): void {
    this.#events.delete(uid);
    const uids = this.#byPod.get(e.pod);
    uids?.delete(uid);
    if (uids?.size === 0) this.#byPod.delete(e.pod);
  }
}
