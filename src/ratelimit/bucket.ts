/** One bucket's limits, with its RateLimit-Policy header value computed once (not per request). */
export interface Rate {
  /** The policy's name in the headers and the metric's `bucket` label. */
  readonly name: string;
  readonly burst: number;
  /** Refill, in requests per millisecond. */
  readonly perMs: number;
  readonly policyHeader: string;
}

export function makeRate(name: string, ratePerMinute: number, burst: number): Rate {
  // A token bucket of `burst` refilled at r/s behaves as a quota of `burst` per burst/r seconds: that
  // is the (quota, window) pair the header can say; the window is rounded up so it never overstates.
  const window = Math.max(1, Math.ceil((burst * 60) / ratePerMinute));
  return { name, burst, perMs: ratePerMinute / 60_000, policyHeader: `"${name}";q=${burst};w=${window}` };
}

/** Requests left (fractional) as of `at` (ms). */
export interface Bucket {
  tokens: number;
  at: number;
  /** Set when the bucket refuses a request, cleared when it next lets one through. */
  refusing: boolean;
}

/**
 * Token buckets of one kind, by key. Refilled lazily when looked at, so an idle key costs nothing but
 * its entry. Map order is recency (a hit is moved to the end), and beyond `maxKeys` the least recently
 * used key is dropped: an attacker cycling addresses or tokens costs bounded memory, and a dropped
 * bucket only comes back full, as it would have after a quiet spell.
 */
export class BucketTable<K> {
  readonly maxKeys: number;
  readonly #buckets = new Map<K, Bucket>();

  constructor(maxKeys: number) {
    this.maxKeys = maxKeys;
  }

  get size(): number {
    return this.#buckets.size;
  }

  /** The bucket for `key`, refilled up to `now` (a new key starts full). */
  get(key: K, rate: Rate, now: number): Bucket {
    let b = this.#buckets.get(key);
    if (b === undefined) {
      b = { tokens: rate.burst, at: now, refusing: false };
      if (this.#buckets.size >= this.maxKeys) this.#buckets.delete(this.#buckets.keys().next().value!);
    } else {
      this.#buckets.delete(key);
      // Clock steps backwards (and a lowered burst after a role change) must not add requests.
      if (now > b.at) b.tokens = Math.min(rate.burst, b.tokens + (now - b.at) * rate.perMs);
      else b.tokens = Math.min(rate.burst, b.tokens);
      b.at = now;
    }
    this.#buckets.set(key, b);
    return b;
  }
}

/** Whole requests left, as the RateLimit header's `r`. */
export function remaining(b: Bucket): number {
  return Math.floor(b.tokens);
}

/** Whole seconds until the bucket is full again (the RateLimit header's `t`). */
export function secondsToFull(b: Bucket, rate: Rate): number {
  return Math.ceil((rate.burst - b.tokens) / rate.perMs / 1000);
}

/** Whole seconds (at least 1) until the next request fits, for Retry-After. */
export function secondsToNext(b: Bucket, rate: Rate): number {
  return Math.max(1, Math.ceil((1 - b.tokens) / rate.perMs / 1000));
}
