import type { Logger } from 'pino';
import type { Config } from '../../config/index.ts';
import { type Mail, Notifier } from '../../notify/index.ts';
import { recipientOf } from '../expiry-notice-rules.ts';
import type { LiveToken } from './live.ts';

/** Where a leaked token was found: the intake endpoint (a report), or a file the scanner read. */
export type LeakSource = { kind: 'report'; ip: string | null } | { kind: 'scan'; place: string };

/** The notifier of token.leaked: the same channels as the expiry notices (tokens.expiry_notice's webhook and mail). */
export function leakNotifier(config: Config, log: Logger): Notifier {
  const { webhook, smtp } = config.tokens.expiry_notice;
  return new Notifier({ webhook, smtp }, log);
}

function whereFound(source: LeakSource): string {
  return source.kind === 'report' ? 'It was reported as leaked to the hub.' : `It was found in ${source.place}.`;
}

/**
 * Tells a revoked token's owner, by the webhook (`token.leaked`) and, for a user with a known address, by
 * mail. Never the secret: the token's id, prefix and note name it.
 */
export async function sendLeakNotice(
  notifier: Notifier,
  config: Config,
  log: Logger,
  t: LiveToken,
  source: LeakSource,
): Promise<void> {
  const to = t.owner.kind === 'user' ? recipientOf(t.owner.name, config.tokens.expiry_notice.email_domain) : null;
  const name = t.note || t.prefix;
  const mail: Mail | null = to
    ? {
        to,
        subject: `Your API token "${name}" was revoked: it leaked`,
        text: [
          `Your API token "${name}" (${t.prefix}…) has been revoked. ${whereFound(source)}`,
          '',
          'Anything that used it has stopped working. Make a new token on the token page, keep it out of',
          'notebook outputs and shared files, and remove the old one wherever it was written down.',
        ].join('\n'),
      }
    : null;
  const delivered = await notifier.send({
    type: 'token.leaked',
    data: {
      token: { id: `a${t.id}`, prefix: t.prefix, note: t.note, kind: t.kind, owner: t.owner },
      source: source.kind === 'report' ? { kind: 'report' } : { kind: 'scan', place: source.place },
      action: 'revoked',
    },
    mail,
  });
  log.info(
    { token_id: `a${t.id}`, webhook: delivered.webhook, mail: mail ? delivered.mail : null },
    'token leak notice',
  );
}
