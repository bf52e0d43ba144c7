// The hub's outgoing notices: one signed webhook and optional mail, for any event (token.expiring now,
// leaked-token reports next). A caller builds the event and, when a person should read it, the mail.
import type { Logger } from 'pino';
import { type Mail, Mailer, type SmtpSettings } from './mail.ts';
import { DEFAULT_WEBHOOK_TIMING, deliverWebhook, type WebhookTarget, type WebhookTiming } from './webhook.ts';

export { signBody } from './webhook.ts';
export type { Mail, SmtpSettings } from './mail.ts';

export interface NotifierSettings {
  webhook: WebhookTarget | null;
  smtp: SmtpSettings | null;
}

export interface Notice {
  /** The event type, e.g. `token.expiring`: the webhook's Tshub-Event header and the body's `type`. */
  type: string;
  /** The webhook body's fields beside `type` and `time`. */
  data: Record<string, unknown>;
  /** The mail for a person, when there is one to send it to. */
  mail?: Mail | null;
}

/** What a notice reached: a channel not configured counts as neither. */
export interface Delivered {
  webhook: boolean;
  mail: boolean;
}

export class Notifier {
  readonly #settings: NotifierSettings;
  readonly #log: Logger;
  readonly #mailer: Mailer | null;
  readonly #timing: WebhookTiming;

  constructor(settings: NotifierSettings, log: Logger, timing: WebhookTiming = DEFAULT_WEBHOOK_TIMING) {
    this.#settings = settings;
    this.#log = log;
    this.#mailer = settings.smtp ? new Mailer(settings.smtp, log) : null;
    this.#timing = timing;
  }

  /** Whether any channel is configured: without one, callers need not even look for events. */
  get enabled(): boolean {
    return this.#settings.webhook !== null || this.#mailer !== null;
  }

  /** Whether notices can be mailed (callers then work out a recipient). */
  get mails(): boolean {
    return this.#mailer !== null;
  }

  async send(notice: Notice): Promise<Delivered> {
    const { webhook } = this.#settings;
    const event = { type: notice.type, time: new Date().toISOString(), ...notice.data };
    const [hooked, mailed] = await Promise.all([
      webhook ? deliverWebhook(webhook, notice.type, event, this.#log, this.#timing) : false,
      this.#mailer && notice.mail ? this.#mailer.send(notice.mail) : false,
    ]);
    return { webhook: hooked, mail: mailed };
  }

  close(): void {
    this.#mailer?.close();
  }
}
