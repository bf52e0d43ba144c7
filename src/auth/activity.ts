import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/index.ts';
import { recordTokenUse } from '../repo/tokens.ts';
import { touchUserActivity } from '../repo/users.ts';

/**
 * Collects "this token/user was just used" in memory and writes it in batches, so authenticating a
 * request never waits on a database write. Each token and user is written at most once per resolution.
 */
export class ActivityRecorder {
  readonly #db: Kysely<Database>;
  readonly #log: Logger;
  readonly #resolutionMs: number;
  readonly #lastWritten = new Map<string, number>();
  readonly #pendingTokens = new Map<number, { iso: string; ip: string | null }>();
  readonly #pendingUsers = new Map<number, string>();
  #timer: NodeJS.Timeout | null = null;
  #flushing: Promise<void> = Promise.resolve();

  constructor(db: Kysely<Database>, log: Logger, resolutionSeconds: number) {
    this.#db = db;
    this.#log = log;
    this.#resolutionMs = resolutionSeconds * 1000;
  }

  start(): void {
    this.#timer = setInterval(() => void this.flush(), Math.min(this.#resolutionMs, 2000) || 1000);
    this.#timer.unref();
  }

  #due(key: string, now: number): boolean {
    const last = this.#lastWritten.get(key);
    if (last !== undefined && now - last < this.#resolutionMs) return false;
    this.#lastWritten.set(key, now);
    return true;
  }

  tokenUsed(tokenId: number, ip: string | null, userId: number | null): void {
    const now = Date.now();
    const iso = new Date(now).toISOString();
    if (this.#due(`t${tokenId}`, now)) this.#pendingTokens.set(tokenId, { iso, ip });
    if (userId !== null) this.userActive(userId, now);
  }

  userActive(userId: number, now = Date.now()): void {
    if (this.#due(`u${userId}`, now)) this.#pendingUsers.set(userId, new Date(now).toISOString());
  }

  /** Entries older than the resolution no longer hold anything back: drop them so the map stays small. */
  #forgetOld(now: number): void {
    for (const [key, at] of this.#lastWritten) if (now - at >= this.#resolutionMs) this.#lastWritten.delete(key);
  }

  /** Writes everything pending; safe to call concurrently (calls queue behind each other). */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(() => this.#write());
    return this.#flushing;
  }

  async #write(): Promise<void> {
    this.#forgetOld(Date.now());
    if (this.#pendingTokens.size === 0 && this.#pendingUsers.size === 0) return;
    const tokens = [...this.#pendingTokens];
    const users = [...this.#pendingUsers];
    this.#pendingTokens.clear();
    this.#pendingUsers.clear();
    try {
      await this.#db.transaction().execute(async (trx) => {
        for (const [id, { iso, ip }] of tokens) await recordTokenUse(trx, id, iso, ip);
        for (const [id, iso] of users) await touchUserActivity(trx, id, iso);
      });
    } catch (err) {
      this.#log.warn({ err }, 'could not record activity');
    }
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.flush();
  }
}
