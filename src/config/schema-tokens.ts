import { Type } from 'typebox';
import type { Static } from 'typebox';
import { int, nullable, section } from './schema-util.ts';

export const TokensSchema = section(
  {
    max_active_per_user: int(5, 'How many personal API tokens a user may hold at once (0 = no limit).'),
    expires_in_max_seconds: nullable(
      Type.Integer({ minimum: 1 }),
      'The longest lifetime, in seconds, a new token may have; null means tokens may never expire.',
    ),
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
