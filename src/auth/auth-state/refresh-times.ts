/**
 * When each user's login was last confirmed with the identity provider (upstream's `_auth_refreshed`),
 * in memory: after a restart every user is checked again on their next request, as upstream. Also
 * folds concurrent checks of one user into one, so a page's burst of requests makes one provider call.
 */
export class RefreshTimes {
  readonly #at = new Map<number, number>();
  readonly #inflight = new Map<number, Promise<boolean>>();

  readonly maxAgeSeconds: number;

  /** `maxAgeSeconds` 0: never stale (refresh off). */
  constructor(maxAgeSeconds: number) {
    this.maxAgeSeconds = maxAgeSeconds;
  }

  confirmed(userId: number, now = Date.now()): void {
    this.#at.set(userId, now);
  }

  forget(userId: number): void {
    this.#at.delete(userId);
  }

  isStale(userId: number, now = Date.now()): boolean {
    if (this.maxAgeSeconds <= 0) return false;
    const at = this.#at.get(userId);
    return at === undefined || now - at > this.maxAgeSeconds * 1000;
  }

  /** Runs `check` unless one for this user is under way, whose result is shared. */
  once(userId: number, check: () => Promise<boolean>): Promise<boolean> {
    let p = this.#inflight.get(userId);
    if (!p) {
      p = check().finally(() => this.#inflight.delete(userId));
      this.#inflight.set(userId, p);
    }
    return p;
  }
}
