import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { AuditConfig } from '../config/schema-audit.ts';
import type { Database } from '../db/index.ts';
import { SYSTEM, type AuditEvent, type AuditSink } from './event.ts';
import { appendToChain, pruneBefore, type UnchainedRecord } from './store.ts';
import { TokenUseAudit } from './token-use.ts';

const BATCH = 100;
const FLUSH_MS = 250;
// Pending events kept while the database refuses writes; beyond this the oldest are dropped (and logged).
const MAX_PENDING = 20_000;
const PRUNE_EVERY_MS = 6 * 3600_000;

type Pending = AuditEvent & { time: string };

/**
 * Appends events to the hash-chained audit log. `record()` only queues (it never waits or throws), and
 * one write loop at a time takes the queue in small batches, so the chain is linear and a request never
 * waits on the audit log. Each batch attaches to the chain head as read in its own write transaction, so
 * other processes (`tshub token`) append to the same chain safely.
 */
export class AuditRecorder implements AuditSink {
  readonly #k: Kysely<Database>;
  readonly #log: Logger;
  readonly #config: AuditConfig;
  #queue: Pending[] = [];
  #writing: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | null = null;
  #pruneTimer: NodeJS.Timeout | null = null;
  #soon = false;
  /** Authentication's events (new IP, refused tokens), fed from the request path. */
  readonly tokens = new TokenUseAudit(this);

  constructor(k: Kysely<Database>, log: Logger, config: AuditConfig) {
    this.#k = k;
    this.#log = log;
    this.#config = config;
  }

  get enabled(): boolean {
    return this.#config.enabled;
  }

  record(event: AuditEvent): void {
    if (!this.#config.enabled) return;
    this.#queue.push({ ...event, time: new Date().toISOString() });
    if (this.#queue.length > MAX_PENDING) {
      const dropped = this.#queue.splice(0, this.#queue.length - MAX_PENDING);
      this.#log.error({ dropped: dropped.length }, 'audit log: database not writable, oldest pending events dropped');
    }
    if (this.#queue.length >= BATCH && !this.#soon) {
      this.#soon = true;
      setImmediate(() => {
        this.#soon = false;
        void this.flush();
      });
    }
  }

  /** Begins periodic writing and retention pruning (the first prune right away). */
  start(): void {
    if (!this.#config.enabled) return;
    this.#timer = setInterval(() => void this.flush(), FLUSH_MS);
    this.#timer.unref();
    if (this.#config.retention_days > 0) {
      void this.prune();
      this.#pruneTimer = setInterval(() => void this.prune(), PRUNE_EVERY_MS);
      this.#pruneTimer.unref();
    }
  }

  /** Writes everything queued so far; calls queue behind each other, so writes never interleave. */
  flush(): Promise<void> {
    this.#writing = this.#writing.then(() => this.#drain());
    return this.#writing;
  }

  /** Removes records older than retention_days, keeping the chain verifiable through the anchor. */
  prune(now = Date.now()): Promise<void> {
    const days = this.#config.retention_days;
    if (days <= 0) return this.flush();
    this.#writing = this.#writing.then(async () => {
      await this.#drain();
      const cutoff = new Date(now - days * 86400_000).toISOString();
      try {
        const removed = await pruneBefore(this.#k, cutoff, new Date(now).toISOString());
        if (removed)
          this.record({
            ...SYSTEM,
            action: 'audit.prune',
            reason: `removed ${removed} records older than ${cutoff} (retention_days ${days})`,
          });
      } catch (err) {
        this.#log.warn({ err }, 'audit log: could not prune old records');
      }
      await this.#drain();
    });
    return this.#writing;
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    if (this.#pruneTimer) clearInterval(this.#pruneTimer);
    await this.flush();
  }

  async #drain(): Promise<void> {
    while (this.#queue.length) {
      const batch = this.#queue.slice(0, BATCH);
      try {
        await appendToChain(this.#k, await this.#records(batch));
        this.#queue.splice(0, batch.length);
      } catch (err) {
        // Left queued for the next flush.
        this.#log.warn({ err, pending: this.#queue.length }, 'audit log: could not write records');
        return;
      }
    }
  }

  /** Turns queued events into records: owners looked up, once-only events already on record skipped. */
  async #records(batch: Pending[]): Promise<UnchainedRecord[]> {
    const ownerIds = [
      ...new Set(batch.map((e) => e.target?.ownerUserId).filter((id): id is number => typeof id === 'number')),
    ];
    const owners = new Map<number, string>();
    if (ownerIds.length) {
      for (const u of await this.#k.selectFrom('users').select(['id', 'name']).where('id', 'in', ownerIds).execute())
        owners.set(u.id, u.name);
    }
    const rows: UnchainedRecord[] = [];
    const onceSeen = new Set<string>();
    for (const e of batch) {
      if (e.once && e.target) {
        const key = `${e.action}\0${e.target.kind}\0${e.target.name}`;
        if (onceSeen.has(key) || (await this.#onRecord(e))) continue;
        onceSeen.add(key);
      }
      const actor = e.actor ?? SYSTEM.actor;
      const t = e.target ?? null;
      rows.push({
        time: e.time,
        actor_kind: actor.kind,
        actor_name: actor.name,
        actor_token_id: actor.token_id,
        action: e.action,
        target_kind: t?.kind ?? null,
        target_name: t?.name ?? null,
        target_owner: t ? (t.owner ?? (t.ownerUserId != null ? (owners.get(t.ownerUserId) ?? null) : null)) : null,
        outcome: e.outcome ?? 'success',
        reason: e.reason ?? null,
        ip: e.ip ?? null,
        user_agent: e.user_agent ?? null,
        request_id: e.request_id ?? null,
      });
    }
    return rows;
  }

  async #onRecord(e: AuditEvent): Promise<boolean> {
    const hit = await this.#k
      .selectFrom('audit_log')
      .select('id')
      .where('target_name', '=', e.target!.name)
      .where('target_kind', '=', e.target!.kind)
      .where('action', '=', e.action)
      .limit(1)
      .executeTakeFirst();
    return hit !== undefined;
  }
}
