import { SecondUse } from '../lib/second-use.ts';

/**
 * How long anything derived from permissions is trusted without a new look at the database, even if
 * nobody called `invalidate()`: the bound on how long a write that forgot to invalidate (or one made by
 * another process, such as `tshub` on the command line) goes unnoticed. See docs/architecture.md.
 */
export const PERMISSIONS_TTL_MS = 60_000;

/** Entries kept per cache; beyond it the oldest go first (a flood of distinct keys costs bounded memory). */
const MAX_ENTRIES = 50_000;
/**
 * Bytes kept per cache, estimated (approxBytes): ~2,300 resolved principals of users (~3.6 kB each with
 * their rows and scope sets), or ~9,000 token rows. Five caches are made per hub (token rows, principals,
 * owners' scopes, roles, rate limits by owner), so they hold at most 40 MB together; docs/benchmarks.md.
 */
export const CACHE_MAX_BYTES = 8 * 1024 * 1024;

/** Keys remembered per cache that admits on second use (see CacheOptions.admitOnSecondUse). */
const ASKED_KEYS = 20_000;

export interface CacheOptions {
  /** At most this many bytes (estimated) of keys and values; CACHE_MAX_BYTES by default. */
  maxBytes?: number;
  /**
   * Keep a value only the second time its key is asked for (within the TTL): for caches keyed by token,
   * where a token presented once (a script's one call, a leak check, a client trying many tokens) would
   * only push out the tokens in use, and, kept until pushed out, outlive V8's young generation and leave
   * old-generation garbage behind (docs/benchmarks.md). Only keys are remembered for the first use.
   */
  admitOnSecondUse?: boolean;
}

interface Entry<V> {
  value: V;
  at: number;
  bytes: number;
}

/**
 * Roughly how many bytes `v` takes on V8's heap, counting what it reaches (to a few levels, each object
 * once): an estimate to bound caches by, on the safe side where values share parts with each other.
 */
export function approxBytes(v: unknown, seen = new Set<object>(), depth = 0): number {
  if (typeof v === 'string') return 16 + v.length;
  if (typeof v !== 'object' || v === null) return 8;
  if (depth > 6 || seen.has(v)) return 8;
  seen.add(v);
  let n = 32;
  if (Array.isArray(v) || v instanceof Set || v instanceof Map) {
    for (const x of v instanceof Map ? v.values() : v) n += 16 + approxBytes(x, seen, depth + 1);
  } else {
    for (const k in v) n += 16 + approxBytes((v as Record<string, unknown>)[k], seen, depth + 1);
  }
  return n;
}

/**
 * One cache of values worked out from permissions (token rows, principals, owners' scopes, roles, rate
 * limits): made by `Permissions.cache()`, emptied by its `invalidate()`, and expired after its TTL.
 */
export class PermissionCache<K, V> {
  readonly #owner: Permissions;
  readonly #maxBytes: number;
  readonly #entries = new Map<K, Entry<V>>();
  readonly #asked: SecondUse<K> | null;
  #bytes = 0;

  constructor(owner: Permissions, opts: CacheOptions = {}) {
    this.#owner = owner;
    this.#maxBytes = opts.maxBytes ?? CACHE_MAX_BYTES;
    this.#asked = opts.admitOnSecondUse ? new SecondUse(ASKED_KEYS, owner.ttlMs) : null;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Estimated bytes of the kept keys and values. */
  get bytes(): number {
    return this.#bytes;
  }

  /** The kept entry for `key` (its value may itself be undefined), or undefined when none is fresh. */
  get(key: K): Entry<V> | undefined {
    const e = this.#entries.get(key);
    if (e === undefined) return undefined;
    if (this.#owner.now() - e.at <= this.#owner.ttlMs) return e;
    this.#delete(key, e);
    return undefined;
  }

  /**
   * The kept value, or `compute()`'s, kept when `keep` says so. What was computed while permissions
   * changed is used by this one caller but not kept: it may have read the database before the change.
   */
  async through(key: K, compute: () => Promise<V>, keep: (v: V) => boolean = () => true): Promise<V> {
    const hit = this.get(key);
    if (hit) return hit.value;
    const generation = this.#owner.generation;
    const at = this.#owner.now();
    const value = await compute();
    if (keep(value)) this.set(key, value, generation, at);
    return value;
  }

  /** Keeps `value` if no invalidation happened since `generation` was read (before reading the database). */
  set(key: K, value: V, generation: number, at = this.#owner.now()): void {
    if (generation !== this.#owner.generation) return;
    if (this.#asked && !this.#asked.repeated(key, at)) return;
    const bytes = approxBytes(key) + approxBytes(value) + 64;
    if (bytes > this.#maxBytes) return;
    const old = this.#entries.get(key);
    if (old) this.#delete(key, old);
    // Oldest first: a Map iterates in insertion order.
    for (const [k, e] of this.#entries) {
      if (this.#entries.size < MAX_ENTRIES && this.#bytes + bytes <= this.#maxBytes) break;
      this.#delete(k, e);
    }
    this.#entries.set(key, { value, at, bytes });
    this.#bytes += bytes;
  }

  clear(): void {
    this.#entries.clear();
    this.#asked?.clear();
    this.#bytes = 0;
  }

  #delete(key: K, e: Entry<V>): void {
    this.#entries.delete(key);
    this.#bytes -= e.bytes;
  }
}

/**
 * Everything the hub caches from permissions, with the one `invalidate()` that drops it all. The token
 * identifier, the principal cache and the rate limiter each keep their entries in caches made here, so
 * a command that changes who may do what calls `invalidate()` once, and a forgotten call costs at most
 * the TTL. What hangs off a principal (whoami facts, read-cache answers) goes with the principal.
 */
export class Permissions {
  readonly ttlMs: number;
  readonly now: () => number;
  readonly #caches: PermissionCache<unknown, unknown>[] = [];
  #generation = 0;

  constructor(opts: { ttlMs?: number; now?: () => number } = {}) {
    this.ttlMs = opts.ttlMs ?? PERMISSIONS_TTL_MS;
    this.now = opts.now ?? Date.now;
  }

  /** Bumped by every invalidate(): a computation that saw it change keeps nothing. */
  get generation(): number {
    return this.#generation;
  }

  /** A new cache, holding at most `opts.maxBytes` (estimated) of keys and values. */
  cache<K, V>(opts?: CacheOptions): PermissionCache<K, V> {
    const c = new PermissionCache<K, V>(this, opts);
    this.#caches.push(c as PermissionCache<unknown, unknown>);
    return c;
  }

  /**
   * Call after any write that can change what an existing token or session may do (revocations, role,
   * group and admin changes, deletions, renames), once its transaction has committed.
   */
  invalidate(): void {
    this.#generation++;
    for (const c of this.#caches) c.clear();
  }
}
