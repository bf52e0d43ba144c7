import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../config/index.ts';
import type { Database } from '../db/index.ts';
import { parseJson } from '../lib/json.ts';
import { type Mail, Notifier } from '../notify/index.ts';
import { findLiveTokens, type LiveTokenRow } from '../repo/live-tokens.ts';
import { crossedThresholds, noticeThresholds, recipientOf } from './expiry-notice-rules.ts';

export interface ExpiryNoticeDeps {
  k: Kysely<Database>;
  config: Config;
  log: Logger;
  /** Path prefix of every URL, from bind_url. */
  baseUrl: string;
}

const DAY = 86400;

function lifeLeft(seconds: number): string {
  if (seconds >= DAY) return `${Math.floor(seconds / DAY)} day${seconds >= 2 * DAY ? 's' : ''}`;
  if (seconds >= 3600) return `${Math.floor(seconds / 3600)} hour${seconds >= 7200 ? 's' : ''}`;
  return `${Math.max(1, Math.floor(seconds / 60))} minute${seconds >= 120 ? 's' : ''}`;
}

/**
 * Sends `token.expiring` before API tokens expire, at each configured threshold (30, 7 and 1 days by
 * default), to the webhook and, for a user's token with a known address, by mail. One timer; which
 * thresholds were sent is kept in the database (token_expiry_notices), so a restarted hub does not send
 * them again, and a notice that reached no channel is tried again at the next check.
 */
export class ExpiryNotices {
  readonly #deps: ExpiryNoticeDeps;
  readonly #notifier: Notifier;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<number> | null = null;
  #stopped = false;

  constructor(deps: ExpiryNoticeDeps, notifier: Notifier) {
    this.#deps = deps;
    this.#notifier = notifier;
  }

  start(): void {
    if (!this.#notifier.enabled) return;
    this.#stopped = false;
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running?.catch(() => {});
    this.#notifier.close();
  }

  #schedule(ms: number): void {
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#running = this.check().finally(() => {
        this.#running = null;
        if (!this.#stopped) this.#schedule(this.#deps.config.tokens.expiry_notice.check_interval_seconds * 1000);
      });
      this.#running.catch((err: Error) => this.#deps.log.error({ err: err.message }, 'token expiry check failed'));
    }, ms);
    this.#timer.unref();
  }

  /** One check: sends what is due now. Returns how many notices were sent. */
  async check(now = Date.now()): Promise<number> {
    const { k, config } = this.#deps;
    const thresholds = noticeThresholds(config.tokens.expiry_notice);
    const nowIso = new Date(now).toISOString();
    const horizon = new Date(now + Math.max(...thresholds) * 1000).toISOString();
    const tokens = await findLiveTokens(k, { expiringBy: horizon }, nowIso);
    if (tokens.length === 0) return 0;
    // In slices: a parameter list has a limit (SQLite 32,766), and many tokens may expire within 30 days.
    const told = new Map<number, number[]>();
    for (let at = 0; at < tokens.length; at += 500) {
      const ids = tokens.slice(at, at + 500).map((t) => t.id);
      const rows = await k
        .selectFrom('token_expiry_notices')
        .select(['token_id', 'before_seconds'])
        .where('token_id', 'in', ids)
        .execute();
      for (const r of rows) told.set(r.token_id, [...(told.get(r.token_id) ?? []), r.before_seconds]);
    }
    let count = 0;
    for (const t of tokens) {
      if (this.#stopped) break;
      const due = crossedThresholds(t, thresholds, told.get(t.id) ?? [], now);
      if (due.length === 0) continue;
      if (await this.#notify(t, Math.min(...due), now)) {
        const at = new Date().toISOString();
        await k
          .insertInto('token_expiry_notices')
          .values(due.map((before) => ({ token_id: t.id, before_seconds: before, sent_at: at })))
          .onConflict((oc) => oc.doNothing())
          .execute();
        count++;
      }
    }
    return count;
  }

  /** Sends one token's notice; true when it reached a channel, or there was none to reach for it. */
  async #notify(t: LiveTokenRow, threshold: number, now: number): Promise<boolean> {
    const { config, baseUrl, log } = this.#deps;
    const left = Math.round((Date.parse(t.expires_at!) - now) / 1000);
    // The token page is a user's: a service's token is renewed through the API.
    const user = t.owner.kind === 'user' ? t.owner.name : null;
    const renewUrl = user ? new URL(`${baseUrl}hub/token?renew=a${t.id}`, config.bind_url).toString() : null;
    const to = user ? recipientOf(user, config.tokens.expiry_notice.email_domain) : null;
    const name = t.note || t.prefix;
    const mail: Mail | null =
      to && renewUrl
        ? {
            to,
            subject: `Your API token "${name}" expires in ${lifeLeft(left)}`,
            text: [
              `Your API token "${name}" (${t.prefix}…) expires at ${new Date(t.expires_at!).toISOString()}.`,
              '',
              'Anything that uses it stops working then. To make a new one with the same name, scopes and',
              `lifetime, open ${renewUrl}`,
              '',
              'Or rotate the token (POST /hub/api/users/{name}/tokens/self/rotate with the token in hand).',
            ].join('\n'),
          }
        : null;
    const delivered = await this.#notifier.send({
      type: 'token.expiring',
      data: {
        token: {
          id: `a${t.id}`,
          prefix: t.prefix,
          note: t.note,
          scopes: parseJson<string[]>(t.scopes, []),
          created: t.created,
          expires_at: new Date(t.expires_at!).toISOString(),
          owner: t.owner,
        },
        threshold_seconds: threshold,
        expires_in_seconds: left,
        renew_url: renewUrl,
      },
      mail,
    });
    const notice = config.tokens.expiry_notice;
    const wanted = (notice.webhook ? 1 : 0) + (mail ? 1 : 0);
    const reached = Number(delivered.webhook) + Number(delivered.mail);
    log.info(
      { token_id: `a${t.id}`, threshold, webhook: delivered.webhook, mail: mail ? delivered.mail : null },
      'token expiry notice',
    );
    return wanted === 0 || reached > 0;
  }
}

/** The hub's expiry notices, as configured (tokens.expiry_notice), started: nothing runs without a channel. */
export function startExpiryNotices(deps: ExpiryNoticeDeps): ExpiryNotices {
  const { webhook, smtp } = deps.config.tokens.expiry_notice;
  const notices = new ExpiryNotices(deps, new Notifier({ webhook, smtp }, deps.log));
  notices.start();
  return notices;
}
