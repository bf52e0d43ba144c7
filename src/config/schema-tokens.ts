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
  },
  'Rules for API tokens.',
);

export type TokensConfig = Static<typeof TokensSchema>;
