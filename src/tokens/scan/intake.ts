import type { Caller } from '../../commands/deps.ts';
import { revokeLeaked, type TokenCommandDeps } from '../../commands/tokens/index.ts';
import type { Notifier } from '../../notify/index.ts';
import { isWellFormedToken } from '../format.ts';
import { sendLeakNotice } from './leak-notice.ts';
import { liveTokens } from './live.ts';

export interface IntakeLimits {
  /** Well-formed strings waiting to be looked up, past which reports are refused until the queue drains. */
  maxQueued: number;
  /** Owner notices in flight (a webhook may retry for a while), past which more are logged and not sent. */
  maxNotices: number;
}

const DEFAULT_LIMITS: IntakeLimits = { maxQueued: 20_000, maxNotices: 200 };

/**
 * Leaked-token reports, handled off the request path so the answer (and its timing) says nothing of what was
 * valid: one worker looks the reported strings up and revokes the live ones, a batch at a time, and the owners'
 * notices go out beside it. Both are bounded, so a flood of reports costs bounded memory.
 */
export class LeakIntake {
  readonly #deps: TokenCommandDeps;
  readonly #notifier: Notifier;
  readonly #limits: IntakeLimits;
  readonly #queue: { tokens: string[]; caller: Caller }[] = [];
  readonly #notices = new Set<Promise<void>>();
  #queued = 0;
  #worker: Promise<void> | null = null;

  constructor(deps: TokenCommandDeps, notifier: Notifier, limits: IntakeLimits = DEFAULT_LIMITS) {
    this.#deps = deps;
    this.#notifier = notifier;
    this.#limits = limits;
  }

  /**
   * Queues a report; false when the queue is full (the caller is told to come back). Strings that are not
   * well-formed tokens of this hub are dropped at once: they cannot be anyone's token.
   */
  submit(strings: readonly string[], caller: Caller): boolean {
    const tokens = [...new Set(strings.filter(isWellFormedToken))];
    if (tokens.length === 0) return true;
    if (this.#queued + tokens.length > this.#limits.maxQueued) return false;
    this.#queue.push({ tokens, caller });
    this.#queued += tokens.length;
    this.#worker ??= this.#drain();
    return true;
  }

  /** Resolves once every queued report is handled and its notices are sent (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.#worker || this.#notices.size > 0) await Promise.all([this.#worker, ...this.#notices]);
  }

  async close(): Promise<void> {
    await this.settled();
    this.#notifier.close();
  }

  async #drain(): Promise<void> {
    for (let job = this.#queue.shift(); job; job = this.#queue.shift()) {
      this.#queued -= job.tokens.length;
      try {
        const live = await liveTokens(this.#deps.k, job.tokens);
        await revokeLeaked(this.#deps, job.caller, live);
        for (const t of live) this.#notify(t, job.caller.origin.ip);
      } catch (err) {
        this.#deps.log.error({ err: (err as Error).message }, 'leaked token report failed');
      }
    }
    this.#worker = null;
  }

  #notify(t: Parameters<typeof sendLeakNotice>[3], ip: string | null): void {
    if (!this.#notifier.enabled) return;
    if (this.#notices.size >= this.#limits.maxNotices) {
      this.#deps.log.warn({ token_id: `a${t.id}` }, 'token leak notice dropped: too many in flight');
      return;
    }
    const { config, log } = this.#deps;
    const sent: Promise<void> = sendLeakNotice(this.#notifier, config, log, t, { kind: 'report', ip })
      .catch((err: Error) => log.error({ err: err.message }, 'token leak notice failed'))
      .finally(() => this.#notices.delete(sent));
    this.#notices.add(sent);
  }
}
