// Watch streams: newline-delimited JSON events (ADDED / MODIFIED / DELETED / BOOKMARK / ERROR) on a chunked
// 200 response, as the API server sends them. A watch from a resourceVersion replays the history after it;
// one older than the history window gets an ERROR event carrying a 410 Status (reason Expired), then the end.
// Tests can drop a stream (the connection is cut) or stall it (kept open, nothing sent) through `Watches`.
import type { ServerResponse } from 'node:http';
import type { FieldMatch, LabelMatch } from './selectors.ts';
import { badRequest, expired, type Status } from './status.ts';
import type { Change, EventType, Obj, Store } from './store.ts';

export interface WatchRequest {
  resource: string;
  kind: string;
  ns: string | undefined;
  labels: LabelMatch;
  fields: FieldMatch;
  /** As given: undefined/"" = now with the current state first, "0" = the same from "cache", N = after N. */
  resourceVersion: string | undefined;
  bookmarks: boolean;
  sendInitialEvents: boolean;
  timeoutSeconds: number | undefined;
}

type WireType = EventType | 'BOOKMARK' | 'ERROR';

class WatchStream {
  stalled = false;
  private pending: string[] = [];
  private timers: NodeJS.Timeout[] = [];
  private unsubscribe: () => void = () => {};

  private readonly res: ServerResponse;
  private readonly req: WatchRequest;

  constructor(res: ServerResponse, req: WatchRequest) {
    this.res = res;
    this.req = req;
  }

  get resource(): string {
    return this.req.resource;
  }

  matches(o: Obj): boolean {
    const r = this.req;
    return (!r.ns || o.metadata.namespace === r.ns) && r.labels(o.metadata.labels) && r.fields(o);
  }

  write(type: WireType, object: Obj | Status): void {
    const line = `${JSON.stringify({ type, object })}\n`;
    if (this.stalled) this.pending.push(line);
    else this.res.write(line);
  }

  /** One stored change as this watcher sees it through its selectors. */
  deliver(c: Change): void {
    const now = this.matches(c.obj);
    const before = c.old !== undefined && this.matches(c.old);
    if (c.type === 'ADDED') {
      if (now) this.write('ADDED', c.obj);
    } else if (c.type === 'DELETED') {
      if (before) this.write('DELETED', c.obj);
    } else if (now) this.write(before ? 'MODIFIED' : 'ADDED', c.obj);
    else if (before) this.write('DELETED', c.obj);
  }

  bookmark(rv: number, initialEnd = false): void {
    if (this.stalled) return;
    const metadata: Obj['metadata'] = { resourceVersion: String(rv) };
    if (initialEnd) metadata.annotations = { 'k8s.io/initial-events-end': 'true' };
    this.write('BOOKMARK', { kind: this.req.kind, apiVersion: 'v1', metadata });
  }

  start(store: Store, bookmarkMs: number, onClose: () => void): void {
    this.res.on('close', () => {
      for (const t of this.timers) clearTimeout(t);
      this.unsubscribe();
      onClose();
    });
    if (this.req.bookmarks) this.timers.push(setInterval(() => this.bookmark(store.resourceVersion), bookmarkMs));
    if (this.req.timeoutSeconds) this.timers.push(setTimeout(() => this.res.end(), this.req.timeoutSeconds * 1000));
    const rv = this.req.resourceVersion;
    const fromNow = rv === undefined || rv === '' || rv === '0';
    if (fromNow || this.req.sendInitialEvents) {
      // One write for the whole initial state: 50,000 small writes cost more than the objects.
      const lines: string[] = [];
      for (const o of store.list(this.req.resource, this.req.ns))
        if (this.matches(o)) lines.push(JSON.stringify({ type: 'ADDED', object: o }));
      if (lines.length) this.res.write(`${lines.join('\n')}\n`);
      if (this.req.sendInitialEvents && this.req.bookmarks) this.bookmark(store.resourceVersion, true);
    } else {
      const changes = store.changesSince(this.req.resource, Number(rv));
      if (changes === null) {
        this.write('ERROR', expired(`too old resource version: ${rv} (${store.oldestResourceVersion})`).status);
        this.res.end();
        return;
      }
      for (const c of changes) this.deliver(c);
    }
    this.unsubscribe = store.subscribe(this.req.resource, (c) => this.deliver(c));
  }

  /** Cuts the connection without a proper end, as a dying API server or load balancer does. */
  drop(): void {
    this.res.socket?.destroy();
    this.res.destroy();
  }

  release(): void {
    this.stalled = false;
    for (const line of this.pending) this.res.write(line);
    this.pending = [];
  }
}

/** Every open watch stream, for the fault controls and for closing the simulator. */
export class Watches {
  private readonly open = new Set<WatchStream>();

  private readonly store: Store;
  private readonly bookmarkMs: number;

  constructor(store: Store, bookmarkMs: number) {
    this.store = store;
    this.bookmarkMs = bookmarkMs;
  }

  get count(): number {
    return this.open.size;
  }

  serve(res: ServerResponse, req: WatchRequest): void {
    const rv = req.resourceVersion;
    if (rv !== undefined && rv !== '' && !/^\d+$/.test(rv)) throw badRequest(`invalid resource version: ${rv}`);
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    const stream = new WatchStream(res, req);
    this.open.add(stream);
    stream.start(this.store, this.bookmarkMs, () => this.open.delete(stream));
  }

  private streams(resource?: string): WatchStream[] {
    return [...this.open].filter((s) => !resource || s.resource === resource);
  }

  /** Cuts every open stream (of `resource` when given) now; returns how many. */
  dropAll(resource?: string): number {
    const cut = this.streams(resource);
    for (const s of cut) s.drop();
    return cut.length;
  }

  /** Stalls the streams open now (later ones run normally, so a client's replacement watch works). */
  stallAll(resource?: string): number {
    const held = this.streams(resource);
    for (const s of held) s.stalled = true;
    return held.length;
  }

  /** Ends every stall; what the stalled streams missed is sent then, in order. */
  releaseAll(): void {
    for (const s of this.open) if (s.stalled) s.release();
  }
}
