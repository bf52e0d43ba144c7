/**
 * Tells a key's first use from a repeat, for caches that keep a value only from its second use (the read
 * cache, the permission caches keyed by token): a value asked for once would only push out those asked
 * again and, kept until pushed out, die in V8's old generation. Remembers at most `max` keys, the oldest
 * forgotten first, each for `ttlMs`.
 */
export class SecondUse<K> {
  readonly #max: number;
  readonly #ttlMs: number;
  // Keys used once and when, oldest first.
  readonly #seen = new Map<K, number>();

  constructor(max: number, ttlMs = Number.POSITIVE_INFINITY) {
    this.#max = max;
    this.#ttlMs = ttlMs;
  }

  /** True when `key` was used within the TTL before `now` (it is forgotten: its value is kept now); else remembers it. */
  repeated(key: K, now = 0): boolean {
    const before = this.#seen.get(key);
    if (before !== undefined) {
      this.#seen.delete(key);
      if (now - before <= this.#ttlMs) return true;
    }
    if (this.#seen.size >= this.#max) this.#seen.delete(this.#seen.keys().next().value!);
    this.#seen.set(key, now);
    return false;
  }

  clear(): void {
    this.#seen.clear();
  }
}
