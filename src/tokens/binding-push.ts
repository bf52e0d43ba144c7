// The hub's side of binding at `tshub proxy`: the bindings of usable generated tokens, sent whole when they
// changed (or the proxy is a fresh one). The refusal pusher (src/proxy/refusals.ts) calls it with each of
// its sweeps, so a binding set by any path reaches the proxy within a sweep; the PATCH asks for one at once.
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/index.ts';
import type { ChpClient } from '../proxy/chp-client.ts';
import { liveBindings } from './binding-store.ts';

/** The proxy holds at most this many (src/proxy/server/bindings.ts MAX_BINDINGS). */
const MAX_SENT = 20_000;
/** Entries per POST (the proxy takes at most 2000). */
const PART = 1000;

export class BindingPush {
  readonly #k: Kysely<Database>;
  readonly #log: Logger;
  /** What the proxy has, as sent; null when it may have nothing (a fresh proxy, a failed push). */
  #sent: string | null = null;

  constructor(k: Kysely<Database>, log: Logger) {
    this.#k = k;
    this.#log = log;
  }

  /** Sends the set if it changed since the last push, or always with `fresh`. Throws when the proxy refused it. */
  async push(client: ChpClient, fresh: boolean): Promise<void> {
    const rows = await liveBindings(this.#k, new Date().toISOString(), MAX_SENT + 1);
    if (rows.length > MAX_SENT)
      this.#log.warn({ max: MAX_SENT }, 'more bound tokens than the proxy holds: only the first are enforced there');
    const set = rows.slice(0, MAX_SENT).map((r) => ({
      digest: r.hashed,
      allowed_cidrs: JSON.parse(r.allowed_cidrs) as string[],
      not_before: r.not_before,
    }));
    const text = JSON.stringify(set);
    if (!fresh && text === this.#sent) return;
    this.#sent = null;
    for (let i = 0; i === 0 || i < set.length; i += PART) {
      const body = { bindings: set.slice(i, i + PART), first: i === 0, last: i + PART >= set.length };
      const r = await client.request('POST', '/api/bindings', body);
      if (r.status !== 200) throw new Error(`POST /api/bindings: ${r.status} ${r.text.slice(0, 200)}`);
    }
    this.#sent = text;
    this.#log.info({ bound: set.length }, 'token bindings pushed to the proxy');
  }
}
