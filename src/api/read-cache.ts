import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../auth/principal.ts';
import type { WriteClock } from '../db/write-clock.ts';
import { SecondUse } from '../lib/second-use.ts';

type Body = ReturnType<FastifyReply['serialize']>;

interface Entry {
  key: string;
  writes: number;
  at: number;
  body: Body;
  bytes: number;
  /** The caller's answers, which this entry is one of. */
  answers: Map<string, Entry>;
}

/** Distinct answers kept per caller; a client walking many pages keeps only its latest ones. */
const PER_CALLER = 32;
/** Requests remembered per caller (a hash of their keys) to tell a repeated request from a one-off. */
const ASKED_PER_CALLER = 64;

/**
 * A 32-bit FNV-1a hash of a request key: what is remembered of a request not kept, so that memory is 64
 * numbers per caller however long its URLs. Two keys with the same hash only make an answer kept on its
 * first request; answers themselves are found by the whole key.
 */
function keyHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
/**
 * The longest an answer is reused even with no write seen: the bound on missing another process's write
 * where the database cannot report one (PostgreSQL).
 */
const MAX_AGE_MS = 2000;
/**
 * Bytes of answers kept for all callers together (docs/benchmarks.md): a whoami is ~0.5 kB and a page of
 * 100 users ~40 kB, so this holds every whoami of thousands of clients, or a hundred-odd pages.
 */
export const READ_CACHE_MAX_BYTES = 4 * 1024 * 1024;
/** What an entry costs besides its body: the entry, its key string and its place in the two maps. */
const ENTRY_OVERHEAD = 200;

export interface ReadCacheOptions {
  /** false: every answer is read and serialized afresh (`read_cache.enabled`). */
  enabled?: boolean;
  maxBytes?: number;
}

/**
 * Serialized answers of the reads clients repeat: whoami, which every singleuser server, service and
 * script asks to check a token, and the user listings dashboards and the culler poll. An answer is reused
 * for the same caller and the same request while no write has reached the database since it was read
 * (`WriteClock`), so it is byte for byte what reading again would give.
 */
export class ReadCache {
  readonly #writes: WriteClock;
  readonly #enabled: boolean;
  readonly #maxBytes: number;
  // Principals live as long as their token's or session's cache entry; their answers go with them.
  readonly #answers = new WeakMap<Principal, Map<string, Entry>>();
  // The requests each caller asked for lately that were not kept (hashes of their keys): an answer is
  // kept only the second time its request comes. A one-off request (a listing with a query that changes
  // every time) would only push out answers that are asked again, and, kept for a while, it outlives V8's
  // young generation: each such answer (~40 kB for a page of users) became old-generation garbage, which
  // V8 lets grow to several times the live heap before collecting it (docs/benchmarks.md).
  readonly #asked = new WeakMap<Principal, SecondUse<number>>();
  // Every kept entry, oldest first, for the byte bound; an entry whose principal is gone stays until pushed out.
  readonly #order = new Set<Entry>();
  #bytes = 0;

  constructor(writes: WriteClock, opts: ReadCacheOptions = {}) {
    this.#writes = writes;
    this.#enabled = opts.enabled ?? true;
    this.#maxBytes = opts.maxBytes ?? READ_CACHE_MAX_BYTES;
  }

  /** Bytes of answers kept (bodies and their bookkeeping, estimated). */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * The JSON answer for `caller` to the request `key` stands for: kept, or made by `read` and serialized
   * with the route's own response schema. `key` must hold everything of the request the answer depends on
   * beyond the caller (see requestKey).
   */
  async answer(reply: FastifyReply, caller: Principal, key: string, read: () => Promise<unknown>): Promise<Body> {
    reply.type('application/json; charset=utf-8');
    if (!this.#enabled) return reply.serialize(await read());
    let answers = this.#answers.get(caller);
    const writes = this.#writes.now();
    const now = Date.now();
    const kept = answers?.get(key);
    if (kept && kept.writes === writes && now - kept.at < MAX_AGE_MS) return kept.body;
    const body = reply.serialize(await read());
    // A write during the read may or may not be in it: use the answer once, keep nothing.
    if (this.#writes.now() !== writes) return body;
    if (!kept && !this.#askedBefore(caller, key)) return body;
    // JSON is mostly ASCII, one byte a character in V8; the key is kept as well.
    const bytes = (typeof body === 'string' ? body.length : body.byteLength) + key.length + ENTRY_OVERHEAD;
    if (bytes > this.#maxBytes) return body;
    if (!answers) {
      answers = new Map();
      this.#answers.set(caller, answers);
    }
    const old = answers.get(key);
    if (old) this.#drop(old);
    if (answers.size >= PER_CALLER) this.#drop(answers.values().next().value!);
    const entry: Entry = { key, writes, at: now, body, bytes, answers };
    answers.set(key, entry);
    this.#order.add(entry);
    this.#bytes += bytes;
    while (this.#bytes > this.#maxBytes) this.#drop(this.#order.values().next().value!);
    return body;
  }

  /** Whether `caller` asked for `key` lately (and remembers that it did). */
  #askedBefore(caller: Principal, key: string): boolean {
    let asked = this.#asked.get(caller);
    if (!asked) {
      asked = new SecondUse(ASKED_PER_CALLER);
      this.#asked.set(caller, asked);
    }
    return asked.repeated(keyHash(key));
  }

  #drop(e: Entry): void {
    if (!this.#order.delete(e)) return;
    this.#bytes -= e.bytes;
    if (e.answers.get(e.key) === e) e.answers.delete(e.key);
  }
}

/** What an answer depends on in a request besides its caller: the URL, and how it was asked for. */
export function requestKey(req: FastifyRequest): string {
  return `${req.protocol}://${req.host}${req.url}\n${req.headers.accept ?? ''}`;
}
