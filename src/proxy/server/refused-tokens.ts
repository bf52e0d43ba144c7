// The tokens `tshub proxy` refuses: SHA-256 digests (the hub's stored form, never a token in clear)
// with the reason the hub gives and a time after which the entry is dropped. Servers behind the proxy
// check tokens with the hub through a cache (HubAuth keeps an answer 300 s), so a refusal only has to
// outlive that cache: after it the server itself hears "no" from the hub.
import { randomUUID } from 'node:crypto';

export interface Refusal {
  /** `sha256:<64 hex>`, as the hub stores generated tokens. */
  digest: string;
  /** The hub's reason: token_revoked, token_expired, token_rotated, token_policy_... */
  reason: string;
  /** ms since the epoch after which the entry is forgotten. */
  forgetAfter: number;
}

/**
 * The most entries held: about 200 bytes each (key, reason, time, map slot), so at most ~40 MB. Beyond it
 * the entries closest to being forgotten go first: they are the ones servers' caches are likeliest past.
 */
export const MAX_REFUSALS = 200_000;

/** The longest an entry is kept, whatever the hub asks: a day is far beyond any server's token cache. */
export const MAX_RETENTION_MS = 24 * 3600 * 1000;

export class RefusedTokens {
  /** Changes with every process: the hub re-pushes the whole set when it sees a new one. */
  readonly instance = randomUUID();
  readonly #entries = new Map<string, { reason: string; forgetAfter: number }>();
  readonly #max: number;

  constructor(max = MAX_REFUSALS) {
    this.#max = max;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Adds (or refreshes) entries; an entry already past its time is not kept. Returns how many are held. */
  add(refusals: Iterable<Refusal>, now = Date.now()): number {
    for (const r of refusals) {
      if (r.forgetAfter <= now) continue;
      const had = this.#entries.get(r.digest);
      if (!had || had.forgetAfter < r.forgetAfter)
        this.#entries.set(r.digest, { reason: r.reason, forgetAfter: r.forgetAfter });
    }
    if (this.#entries.size > this.#max) this.prune(now);
    return this.#entries.size;
  }

  /** Drops what is past its time, then (over the bound) the entries closest to their time. */
  prune(now = Date.now()): void {
    for (const [d, e] of this.#entries) if (e.forgetAfter <= now) this.#entries.delete(d);
    const excess = this.#entries.size - this.#max;
    if (excess <= 0) return;
    const soonest = [...this.#entries].sort((a, b) => a[1].forgetAfter - b[1].forgetAfter).slice(0, excess);
    for (const [d] of soonest) this.#entries.delete(d);
  }

  /** The reason the token with this digest is refused, or null. */
  reasonOf(digest: string, now = Date.now()): string | null {
    const e = this.#entries.get(digest);
    return e && e.forgetAfter > now ? e.reason : null;
  }
}
