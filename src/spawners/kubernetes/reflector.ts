import type { Logger } from 'pino';
import { apiMessage, apiStatus } from './client.ts';

// One shared list+watch of one resource (pods, events) in one namespace or the whole cluster, as
// Kubernetes' own reflectors: list once from the API server's cache, then watch from that list's
// resourceVersion with bookmarks. A watch that ends is resumed where it stopped; 410 Gone relists; any
// error retries with backoff; a watch silent for longer than the stall timeout (not even a bookmark) is
// cut and replaced, so spawns never hang on a dead stream.

export type Raw = Record<string, unknown>;

/** Where a reflector's objects go: the pod cache, the bounded event store. */
export interface Sink<T> {
  /** After each (re)list: exactly these objects exist now. */
  replace(items: Map<string, T>): void;
  upsert(key: string, item: T): void;
  remove(key: string): void;
}

export interface ListResult {
  items: unknown[];
  metadata?: { resourceVersion?: string; continue?: string };
}

export interface ListQuery {
  resourceVersion?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
}

export interface ReflectorOptions<T> {
  /** For logs: "pods in jhub". */
  name: string;
  /** The watch path, e.g. /api/v1/namespaces/jhub/pods or /api/v1/pods. */
  path: string;
  labelSelector?: string;
  fieldSelector?: string;
  list: (q: ListQuery) => Promise<ListResult>;
  watch: (
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    onEvent: (type: string, object: Raw) => void,
    done: (err: unknown) => void,
  ) => Promise<AbortController>;
  /** The kept form of an object (small: only what the spawner reads), or null to keep nothing of it. */
  project: (raw: Raw) => T | null;
  stallMs: number;
  log: Logger;
}

/**
 * Objects per list page, as Kubernetes' own reflectors ask: a hub never holds the answer for thousands of
 * pods (megabytes of JSON, and the memory V8 keeps after parsing it) at once, only a page and what it keeps.
 */
const LIST_PAGE = 500;
/** Seconds the API server is asked to keep one watch open; it then ends cleanly and is resumed. */
const WATCH_SECONDS = 300;
const BACKOFF_MIN_MS = 200;
const BACKOFF_MAX_MS = 30_000;

const meta = (raw: unknown): Raw => ((raw as Raw | null)?.metadata ?? {}) as Raw;
export const keyOf = (raw: unknown): string => `${String(meta(raw).namespace ?? '')}/${String(meta(raw).name ?? '')}`;

type WatchEnd = 'closed' | 'gone' | 'stalled';

export class Reflector<T> {
  readonly #o: ReflectorOptions<T>;
  readonly #sink: Sink<T>;
  #rv = '';
  #stopped = false;
  #controller: AbortController | null = null;
  #lastActivity = Date.now();
  #isSynced = false;
  #waiters: { resolve: () => void; reject: (err: unknown) => void }[] = [];
  /** Counters for logs, tests and the benchmark. */
  readonly stats = { lists: 0, watches: 0, events: 0, stalls: 0, gone: 0, errors: 0 };

  constructor(o: ReflectorOptions<T>, sink: Sink<T>) {
    this.#o = o;
    this.#sink = sink;
  }

  /**
   * Resolves once the first list has filled the sink; rejects if the next list attempt fails first, so a
   * start does not wait on an unreachable API server (the reflector itself keeps trying).
   */
  synced(): Promise<void> {
    if (this.#isSynced) return Promise.resolve();
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  #settle(err: unknown): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters)
      if (err === null) w.resolve();
      else w.reject(err);
  }

  start(): void {
    void this.#loop();
  }

  stop(): void {
    this.#stopped = true;
    this.#controller?.abort();
    this.#settle(new Error('the Kubernetes watches were stopped'));
  }

  async #loop(): Promise<void> {
    let needList = true;
    let failures = 0;
    // After a 410 right after a list, the cache's list was already too old: read from the store instead.
    let fresh = false;
    while (!this.#stopped) {
      try {
        if (needList) {
          await this.#list(fresh ? undefined : '0');
          needList = false;
          fresh = false;
        }
        const before = this.stats.events;
        const end = await this.#watchOnce();
        if (this.stats.events > before) failures = 0;
        if (end === 'gone') {
          this.stats.gone++;
          fresh = this.stats.events === before;
          needList = true;
          this.#o.log.info({ watch: this.#o.name }, 'kubernetes watch expired (410 Gone); listing again');
        } else if (end === 'stalled') {
          this.stats.stalls++;
          this.#o.log.warn(
            { watch: this.#o.name, silentMs: this.#o.stallMs },
            'kubernetes watch stalled; replacing it',
          );
        }
      } catch (err) {
        if (needList) this.#settle(err);
        failures++;
        this.stats.errors++;
        const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** (failures - 1)) * (0.5 + Math.random() / 2);
        this.#o.log.warn(
          { watch: this.#o.name, err: apiMessage(err), retryMs: Math.round(delay) },
          'kubernetes watch failed; retrying',
        );
        await new Promise((r) => setTimeout(r, delay).unref());
      }
    }
  }

  async #list(resourceVersion: string | undefined): Promise<void> {
    const { labelSelector, fieldSelector } = this.#o;
    const items = new Map<string, T>();
    let rv = '';
    let next: string | undefined;
    do {
      // A continued page names no resourceVersion: its continue token carries the list's.
      const res = await this.#o.list({
        resourceVersion: next ? undefined : resourceVersion,
        labelSelector,
        fieldSelector,
        limit: LIST_PAGE,
        continue: next,
      });
      for (const raw of res.items) {
        const item = this.#o.project(raw as Raw);
        if (item !== null) items.set(keyOf(raw), item);
      }
      rv = res.metadata?.resourceVersion ?? rv;
      next = res.metadata?.continue || undefined;
    } while (next);
    this.stats.lists++;
    this.#rv = rv;
    this.#sink.replace(items);
    this.#isSynced = true;
    this.#settle(null);
  }

  #watchOnce(): Promise<WatchEnd> {
    return new Promise<WatchEnd>((resolve, reject) => {
      let ended = false;
      let end: WatchEnd = 'closed';
      const finish = (err: unknown) => {
        if (ended) return;
        ended = true;
        clearInterval(health);
        this.#controller?.abort();
        this.#controller = null;
        if (end === 'closed' && apiStatus(err) === 410) end = 'gone';
        if (err && end === 'closed' && !this.#stopped) reject(err);
        else resolve(end);
      };
      this.#lastActivity = Date.now();
      const health = setInterval(
        () => {
          if (Date.now() - this.#lastActivity <= this.#o.stallMs) return;
          end = 'stalled';
          finish(null);
        },
        Math.max(250, Math.min(5000, this.#o.stallMs / 4)),
      );
      health.unref();
      this.stats.watches++;
      const query = {
        labelSelector: this.#o.labelSelector,
        fieldSelector: this.#o.fieldSelector,
        resourceVersion: this.#rv || undefined,
        allowWatchBookmarks: true,
        timeoutSeconds: WATCH_SECONDS,
      };
      const onEvent = (type: string, obj: Raw) => {
        if (ended) return;
        this.#lastActivity = Date.now();
        if (type === 'ERROR') {
          const code = (obj as { code?: number }).code;
          if (code === 410) end = 'gone';
          finish(code === 410 ? null : new Error(String((obj as { message?: string }).message ?? 'watch error')));
          return;
        }
        const rv = meta(obj).resourceVersion;
        if (typeof rv === 'string' && rv !== '') this.#rv = rv;
        if (type === 'BOOKMARK') return;
        this.stats.events++;
        const key = keyOf(obj);
        const item = type === 'DELETED' ? null : this.#o.project(obj);
        if (item === null) this.#sink.remove(key);
        else this.#sink.upsert(key, item);
      };
      this.#o.watch(this.#o.path, query, onEvent, finish).then((controller) => {
        // A watch whose connection came after its end (a stall, a stop) must not stay open.
        if (ended || this.#stopped) {
          controller.abort();
          finish(null);
        } else this.#controller = controller;
      }, finish);
    });
  }
}
