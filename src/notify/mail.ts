import type { Logger } from 'pino';

export interface SmtpSettings {
  host: string;
  port: number;
  secure: boolean;
  from: string;
  user: string | null;
  password_env: string | null;
}

export interface Mail {
  to: string;
  subject: string;
  text: string;
}

type Transport = { sendMail(m: Mail & { from: string }): Promise<unknown>; close(): void };

/**
 * Sends mail through the configured SMTP server. nodemailer is loaded on the first mail only: a hub that
 * never mails never loads it. The password is read from the environment at that moment.
 */
export class Mailer {
  readonly #smtp: SmtpSettings;
  readonly #log: Logger;
  #transport: Promise<Transport> | null = null;

  constructor(smtp: SmtpSettings, log: Logger) {
    this.#smtp = smtp;
    this.#log = log;
  }

  async #open(): Promise<Transport> {
    const { createTransport } = await import('nodemailer');
    const s = this.#smtp;
    const pass = s.password_env ? process.env[s.password_env] : undefined;
    return createTransport({
      host: s.host,
      port: s.port,
      secure: s.secure,
      auth: s.user ? { user: s.user, pass: pass ?? '' } : undefined,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 20_000,
    });
  }

  /** Sends one mail; false (logged) if the server refused it or could not be reached. */
  async send(mail: Mail): Promise<boolean> {
    try {
      this.#transport ??= this.#open();
      await (await this.#transport).sendMail({ ...mail, from: this.#smtp.from });
      return true;
    } catch (err) {
      this.#log.error(
        { to: mail.to, err: (err as Error).message },
        `could not mail ${mail.to}: ${(err as Error).message}`,
      );
      return false;
    }
  }

  close(): void {
    void this.#transport?.then((t) => t.close()).catch(() => {});
  }
}
