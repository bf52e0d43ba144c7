import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/index.ts';
import { recordTokenUse } from '../repo/tokens.ts';
import { touchUserActivity } from '../repo/users.ts';
import { TokenUsageCollector } from '../tokens/usage-collector.ts';
import { pruneUsage, writeUsage } from '../tokens/usage-store.ts';

const PRUNE_EVERY_MS = 3_600_000;

/**
 * Collects "this token/user was just used" in memory and writes it in batches, so authenticating a
 * request never waits on a database write. Each token and user is written at most once per resolution.
 */
export class ActivityRecorder {
  readonly #db: Kysely<Database>;
  readonly #log: Logger;
  readonly #resolutionMs: number;
  // When each token and user was last queued for writing; every authenticated request asks, so these are
  // keyed by plain ids and nothing is formatted unless a write is due.
  readonly #tokensWritten = new Map<number, number>();
  readonly #usersWritten = new Map<number, number>();
  readonly #pendingTokens = new Map<number, { iso: string; ip: string | null }>();
  readonly #pendingUsers = new Map<number, string>();
  /** Per-token usage (IPs, agents, days, routes), counted as requests finish and written with the rest. */
  readonly usage = new TokenUsageCollector();
  #prunedAt = 0;
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

  #due(written: Map<number, number>, id: number, now: number): boolean {
    const last = written.get(id);
    if (last !== undefined && now - last < this.#resolutionMs) return false;
    written.set(id, now);
    return true;
  }

  tokenUsed(tokenId: number, ip: string | null, userId: number | null): void {
    const now = Date.now();
    if (this.#due(this.#tokensWritten, tokenId, now))
      this.#pendingTokens.set(tokenId, { iso: new Date(now).toISOString(), ip });
    if (userId !== null) this.userActive(userId, now);
  }

  userActive(userId: number, now = Date.now()): void {
    if (this.#due(this.#usersWritten, userId, now)) this.#pendingUsers.set(userId, new Date(now).toISOString());
  }

  /** Entries older than the resolution no longer hold anything back: drop them so the maps stay small. */
  #forgetOld(now: number): void {
    for (const written of [this.#tokensWritten, this.#usersWritten]) {
      for (const [id, at] of written) if (now - at >= this.#resolutionMs) written.delete(id);
    }
  }

  /** Writes everything pending; safe to call concurrently (calls queue behind each other). */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(() => this.#write());
    return this.#flushing;
  }

  async #write(): Promise<void> {
    this.#forgetOld(Date.now());
    await this.#writeUsage();
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

  async #writeUsage(): Promise<void> {
    const { batch, dropped } = this.usage.take();
    if (dropped > 0)
      this.#log.warn({ dropped }, 'token usage: too many tokens in use at once, some requests not counted');
    try {
      await writeUsage(this.#db, batch);
      const now = new Date();
      if (now.getTime() - this.#prunedAt >= PRUNE_EVERY_MS) {
        this.#prunedAt = now.getTime();
        await pruneUsage(this.#db, now);
      }
    } catch (err) {
      this.#log.warn({ err }, 'could not record token usage');
    }
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.flush();
  }
}
