import { Type } from 'typebox';
import type { Static } from 'typebox';
import { bool, entry, int, nullable, section } from './schema-util.ts';

const RolePolicy = entry(
  {
    max_active: Type.Optional(
      Type.Integer({
        minimum: 0,
        description: 'How many personal API tokens a holder of this role may hold at once (0 = no limit).',
      }),
    ),
    expires_in_max_seconds: Type.Optional(
      Type.Integer({
        minimum: 1,
        description: "The longest lifetime, in seconds, of a personal token of this role's holders, existing ones too.",
      }),
    ),
  },
  'Token rules for the holders of one role.',
);

const ExpiryWebhookSchema = entry(
  {
    url: Type.String({
      pattern: '^https?://[^\\s]+$',
      description: 'Where each event is POSTed as JSON (an http or https URL).',
    }),
    secret: Type.String({
      minLength: 16,
      description: 'Key of the HMAC-SHA256 signature of the body, sent as `Tshub-Signature-256: sha256=<hex>`.',
    }),
    max_attempts: int(5, 'Deliveries tried per event before giving up (a network error, 429 or 5xx is retried).', 1),
  },
  'A webhook that receives token events (token.expiring), signed.',
);

const ExpirySmtpSchema = entry(
  {
    host: Type.String({ minLength: 1, description: 'The SMTP server.' }),
    port: int(587, 'Its port.', 1),
    secure: bool(false, 'TLS from the start (port 465); otherwise STARTTLS when the server offers it.'),
    from: Type.String({ minLength: 3, description: 'The From address of the mails.' }),
    user: nullable(Type.String({ minLength: 1 }), 'The SMTP login, if the server wants one.'),
    password_env: nullable(
      Type.String({ minLength: 1 }),
      'The environment variable holding the SMTP password (never the password itself in the file).',
    ),
  },
  "Mail the token's owner too, through this SMTP server.",
);

const ExpiryNoticeSchema = section(
  {
    days: Type.Array(Type.Integer({ minimum: 1 }), {
      default: [30, 7, 1],
      description: 'Send a token.expiring event this many days before a token expires (each threshold once per token).',
    }),
    seconds: nullable(
      Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1 }),
      'Thresholds in seconds instead of days (short-lived tokens, tests); when set, `days` is ignored.',
    ),
    check_interval_seconds: int(
      3600,
      'How often the hub looks for tokens crossing a threshold (one timer; a notice is late by at most this).',
      1,
    ),
    webhook: nullable(ExpiryWebhookSchema, 'Where token events are POSTed; null: no webhook.'),
    smtp: nullable(ExpirySmtpSchema, "Mail notices to the token's owner; null: no mail."),
    email_domain: nullable(
      Type.String({ minLength: 1 }),
      "A user's mail address is <name>@<email_domain>; a user name that is a mail address is used as it is. Null: only such names get mail.",
    ),
  },
  'Notices before API tokens expire (users and services, not the hub-made server or OAuth tokens).',
);

export const TokensSchema = section(
  {
    max_active_per_user: int(5, 'How many personal API tokens a user may hold at once (0 = no limit).'),
    expires_in_max_seconds: nullable(
      Type.Integer({ minimum: 1 }),
      'The longest lifetime, in seconds, of a personal API token; existing tokens older than this are refused too (null: no maximum).',
    ),
    revoke_idle_after_days: nullable(
      Type.Integer({ minimum: 1 }),
      'Refuse a personal API token not used for this many days (never used: counted from its creation); null: never.',
    ),
    allow_never_expire: bool(
      true,
      'Whether a personal API token may live for ever; false refuses new and existing tokens without an expiry.',
    ),
    forbid_inherit: bool(
      false,
      "Refuse personal API tokens holding all their owner's permissions (the `inherit` scope), new and existing.",
    ),
    roles: Type.Record(Type.String(), RolePolicy, {
      default: {},
      description:
        "Per-role token rules, by role name: `max_active` and `expires_in_max_seconds`; a user's strictest role applies.",
      hint: 'a mapping of role names to {max_active, expires_in_max_seconds}',
    }),
    default_expires_in: nullable(
      Type.Integer({ minimum: 1 }),
      'The lifetime, in seconds, of a new token whose creator names none; null means it does not expire.',
    ),
    rotation_max_grace_seconds: int(
      604800,
      'The longest time, in seconds, a rotated token may keep working next to its replacement.',
    ),
    invalid_credentials_status: Type.Union([Type.Literal(403), Type.Literal(401)], {
      default: 403,
      description:
        'HTTP status for missing or bad credentials on the API: 403 (what JupyterHub clients expect) or 401 with WWW-Authenticate.',
    }),
    expiry_notice: ExpiryNoticeSchema,
  },
  'Rules for API tokens.',
);

export type TokensConfig = Static<typeof TokensSchema>;
