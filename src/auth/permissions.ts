/**
 * How long anything derived from permissions is trusted without a new look at the database, even if
 * nobody called `invalidate()`: the bound on how long a write that forgot to invalidate (or one made by
 * another process, such as `tshub` on the command line) goes unnoticed. See docs/architecture.md.
 */
export const PERMISSIONS_TTL_MS = 60_000;

/** Entries kept per cache; beyond it the cache starts over (a flood of distinct keys costs bounded memory). */
const MAX_ENTRIES = 50_000;

interface Entry<V> {
  value: V;
  at: number;
}

/**
 * One cache of values worked out from permissions (token rows, principals, owners' scopes, roles, rate
 * limits): made by `Permissions.cache()`, emptied by its `invalidate()`, and expired after its TTL.
 */
export class PermissionCache<K, V> {
  readonly #owner: Permissions;
  readonly #entries = new Map<K, Entry<V>>();

  constructor(owner: Permissions) {
    this.#owner = owner;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The kept entry for `key` (its value may itself be undefined), or undefined when none is fresh. */
  get(key: K): Entry<V> | undefined {
    const e = this.#entries.get(key);
    if (e === undefined) return undefined;
    if (this.#owner.now() - e.at <= this.#owner.ttlMs) return e;
    this.#entries.delete(key);
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
    if (this.#entries.size >= MAX_ENTRIES) this.#entries.clear();
    this.#entries.set(key, { value, at });
  }

  clear(): void {
    this.#entries.clear();
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

  cache<K, V>(): PermissionCache<K, V> {
    const c = new PermissionCache<K, V>(this);
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
