// The hub's side of revocation at the proxy: tells `tshub proxy` the digests of tokens the hub refuses
// (revoked, expired, rotated out, deleted with their owner) so that servers behind it, which cache the
// hub's answers, stop seeing them at once. Pushes are batched and off the request path. The database is
// the record: each push sweeps the rows refused since the last one, so a revocation made by any path
// (commands, logout, a server's stop) is found; commands ask for a sweep at once, everything else is found
// by the next timed one. Deleted rows cannot be swept: their digests are handed over before deletion.
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database, TokenRow } from '../db/index.ts';
import { BindingPush } from '../tokens/binding-push.ts';
import { judge } from '../tokens/judge.ts';
import type { ChpClient } from './chp-client.ts';
import type { RefusalSink } from './types.ts';

/** How long the proxy keeps a refusal: well past HubAuth's 300 s cache, after which servers ask the hub again. */
export const RETENTION_MS = 3600 * 1000;
/** A sweep runs at the next expiry, and at least this often (revocations by paths that do not call in). */
export const MAX_SWEEP_WAIT_MS = 10_000;
/** Changes that arrive together go in one push. */
const BATCH_DELAY_MS = 20;
/** A sweep looks this far behind the last one: a revocation committed late still has an older revoked_at. */
const OVERLAP_MS = 5000;
const RETRY_MS = 500;
/** How often tokens the token policy has come to block (aged past a limit, gone idle) are looked for. */
const POLICY_CHECK_MS = 60_000;
/** Entries per POST (the proxy takes at most 4000). */
const CHUNK = 2000;

interface WireRefusal {
  digest: string;
  reason: string;
  forget_after: string;
}

/** The tokens the token policy blocks now, and why (src/tokens/inventory.ts). */
type PolicyBlocked = () => Promise<{ hashed: string; reason: string }[]>;

type Row = Pick<TokenRow, 'hashed' | 'revoked_at' | 'expires_at' | 'replaced_by'>;

function refusalOf(row: Row, now: number): WireRefusal | null {
  const state = judge(row as TokenRow, now);
  if (state.ok) return null;
  const since = Date.parse(row.revoked_at ?? row.expires_at!);
  return { digest: row.hashed, reason: state.reason, forget_after: new Date(since + RETENTION_MS).toISOString() };
}

export class RefusalPusher implements RefusalSink {
  readonly #k: Kysely<Database>;
  readonly #log: Logger;
  #client: ChpClient | null = null;
  /** The proxy instance that has the whole set; null until the first full push (and after a failure). */
  #instance: string | null = null;
  /** Where the next sweep starts (ms). */
  #since = Date.now();
  /** Refusals given directly (deleted rows, policy), kept to re-push to a fresh proxy until forgotten. */
  readonly #given = new Map<string, WireRefusal>();
  #pendingGiven: WireRefusal[] = [];
  #soon: NodeJS.Timeout | null = null;
  #next: NodeJS.Timeout | null = null;
  /** When #next fires (ms). */
  #nextAt = 0;
  /** One push at a time, in order. */
  #chain: Promise<void> = Promise.resolve();
  #stopped = false;
  /** Pushes failed in a row: retries back off, and only the first failure is logged as an error. */
  #failures = 0;

  readonly #policyBlocked: PolicyBlocked | null;
  /** Token bindings go the same way, with each sweep. */
  readonly #bindings: BindingPush;
  #policyTimer: NodeJS.Timeout | null = null;

  constructor(opts: { k: Kysely<Database>; log: Logger; policyBlocked?: PolicyBlocked }) {
    this.#k = opts.k;
    this.#log = opts.log.child({ module: 'refusals' });
    this.#policyBlocked = opts.policyBlocked ?? null;
    this.#bindings = new BindingPush(opts.k, this.#log);
  }

  /** The proxy to feed (`tshub proxy`'s API client); null for a proxy that cannot refuse (chp). */
  attach(client: ChpClient | null): void {
    this.#client = client;
    this.#instance = null;
    if (client && this.#policyBlocked && !this.#policyTimer) {
      this.#policyTimer = setInterval(() => {
        this.#addPolicyBlocked().catch((err: unknown) =>
          this.#log.error({ err: (err as Error).message }, 'cannot list the tokens the token policy blocks'),
        );
      }, POLICY_CHECK_MS);
      this.#policyTimer.unref();
    }
  }

  /** Tokens the policy blocks that the proxy was not told of yet (its row's own state still lets it work). */
  async #addPolicyBlocked(): Promise<void> {
    if (!this.#policyBlocked) return;
    for (const { hashed, reason } of await this.#policyBlocked())
      if (!this.#given.has(hashed)) this.tokensRefused([{ hashed }], reason);
  }

  tokensChanged(): void {
    if (this.#soon || this.#stopped) return;
    this.#soon = setTimeout(() => {
      this.#soon = null;
      this.#enqueue(() => this.#sweep());
    }, BATCH_DELAY_MS);
    this.#soon.unref();
  }

  tokenExpires(at: string): void {
    const t = Date.parse(at);
    if (Number.isFinite(t) && t < this.#nextAt) this.#wakeAt(t);
  }

  tokensRefused(rows: { hashed: string }[], reason: string): void {
    // Nothing to tell a proxy that cannot refuse, or to a hub without one (the in-process test hub).
    if (!this.#client) return;
    this.#dropForgotten(Date.now());
    const forget = new Date(Date.now() + RETENTION_MS).toISOString();
    for (const { hashed } of rows) {
      if (!hashed.startsWith('sha256:')) continue;
      const r = { digest: hashed, reason, forget_after: forget };
      this.#given.set(hashed, r);
      this.#pendingGiven.push(r);
    }
    this.tokensChanged();
  }

  /**
   * Makes sure the proxy has the whole set: pushes it all when the proxy is one this hub has not fed yet
   * (hub start-up, a restarted proxy). The route check calls it before adding routes, so a fresh proxy
   * refuses before it forwards anything to a server. Rejects when the proxy could not be fed.
   */
  ensureFed(): Promise<void> {
    return this.#enqueue(async () => {
      const client = this.#client;
      if (!client) return;
      const r = await client.request('GET', '/api/refusals');
      if (r.status !== 200) throw new Error(`GET /api/refusals: ${r.status} ${r.text.slice(0, 200)}`);
      const { instance } = JSON.parse(r.text) as { instance: string };
      if (instance === this.#instance) return;
      await this.#addPolicyBlocked();
      const now = Date.now();
      const since = new Date(now - RETENTION_MS).toISOString();
      const rows = await this.#rows(since, new Date(now).toISOString());
      this.#dropForgotten(now);
      const all = [...this.#refusals(rows, now), ...this.#given.values()];
      const fed = (await this.#post(client, all)) || instance;
      await this.#bindings.push(client, true);
      this.#instance = fed;
      this.#log.info({ proxy: instance, refused: all.length }, 'the proxy has every refused token');
      this.#schedule();
    });
  }

  stop(): void {
    this.#stopped = true;
    if (this.#policyTimer) clearInterval(this.#policyTimer);
    if (this.#soon) clearTimeout(this.#soon);
    if (this.#next) clearTimeout(this.#next);
  }

  #enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.#chain.then(task);
    this.#chain = run.catch(() => {});
    return run;
  }

  async #sweep(): Promise<void> {
    const client = this.#client;
    if (!client || this.#stopped) return;
    const now = Date.now();
    const since = new Date(this.#since - OVERLAP_MS).toISOString();
    const given = this.#pendingGiven;
    this.#pendingGiven = [];
    try {
      const rows = await this.#rows(since, new Date(now).toISOString());
      const refusals = [...this.#refusals(rows, now), ...given];
      if (refusals.length) {
        const instance = await this.#post(client, refusals);
        this.#log.info({ refused: refusals.length }, 'refused tokens pushed to the proxy');
        // A proxy restarted since the last full push lacks the older entries: feed it all (queued after this).
        if (instance !== this.#instance)
          void this.ensureFed().catch((err: unknown) => this.#log.error({ err }, 'feeding the proxy failed'));
      }
      await this.#bindings.push(client, false);
      this.#since = now;
      this.#failures = 0;
    } catch (err) {
      this.#pendingGiven.unshift(...given);
      this.#log[this.#failures === 0 ? 'error' : 'debug'](
        { err },
        'pushing refused tokens to the proxy failed; retrying',
      );
      this.#failures++;
      this.#retrySoon();
      return;
    }
    this.#schedule();
  }

  #retrySoon(): void {
    this.#wakeAt(Date.now() + Math.min(RETRY_MS * 2 ** this.#failures, MAX_SWEEP_WAIT_MS));
  }

  #wakeAt(t: number): void {
    if (this.#stopped) return;
    if (this.#next) clearTimeout(this.#next);
    this.#nextAt = t;
    this.#next = setTimeout(() => this.tokensChanged(), Math.max(0, t - Date.now()));
    this.#next.unref();
  }

  /** One timer: at the next expiry of a live token, and at most MAX_SWEEP_WAIT_MS away. */
  #schedule(): void {
    if (this.#stopped) return;
    void this.#nextExpiry()
      .then((at) => this.#wakeAt(Math.min(at ?? Number.POSITIVE_INFINITY, Date.now() + MAX_SWEEP_WAIT_MS)))
      .catch((err: unknown) => {
        this.#log.error({ err }, 'reading the next token expiry failed');
        this.#retrySoon();
      });
  }

  async #nextExpiry(): Promise<number | null> {
    const r = await this.#k
      .selectFrom('api_tokens')
      .select((eb) => eb.fn.min('expires_at').as('at'))
      .where('hashed', 'like', 'sha256:%')
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', new Date().toISOString())
      .executeTakeFirst();
    return r?.at ? Date.parse(r.at) : null;
  }

  /** Generated tokens revoked since `since`, or expired between `since` and `until`. */
  #rows(since: string, until: string): Promise<Row[]> {
    return this.#k
      .selectFrom('api_tokens')
      .select(['hashed', 'revoked_at', 'expires_at', 'replaced_by'])
      .where('hashed', 'like', 'sha256:%')
      .where((eb) =>
        eb.or([eb('revoked_at', '>=', since), eb.and([eb('expires_at', '>=', since), eb('expires_at', '<=', until)])]),
      )
      .execute();
  }

  #refusals(rows: Row[], now: number): WireRefusal[] {
    return rows.map((r) => refusalOf(r, now)).filter((r): r is WireRefusal => r !== null);
  }

  #dropForgotten(now: number): void {
    for (const [d, r] of this.#given) if (Date.parse(r.forget_after) <= now) this.#given.delete(d);
  }

  /** Posts in chunks; returns the instance that answered. */
  async #post(client: ChpClient, refusals: WireRefusal[]): Promise<string> {
    let instance = '';
    for (let i = 0; i < refusals.length; i += CHUNK) {
      const r = await client.request('POST', '/api/refusals', { refusals: refusals.slice(i, i + CHUNK) });
      if (r.status !== 200) throw new Error(`POST /api/refusals: ${r.status} ${r.text.slice(0, 200)}`);
      instance = (JSON.parse(r.text) as { instance: string }).instance;
    }
    return instance;
  }
}
