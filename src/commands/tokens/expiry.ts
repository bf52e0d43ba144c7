import type { TokensConfig } from '../../config/schema-tokens.ts';
import type { TokenRow } from '../../db/index.ts';
import { tokenLifetimeExceeded } from '../../errors/index.ts';

/**
 * The lifetime in seconds (null = never) of a new personal token, wherever it is asked for (API, token
 * page, `tshub token`). Absent: `tokens.default_expires_in`. Explicit null or 0: never, as upstream, unless
 * `tokens.expires_in_max_seconds` is set, which then applies. Above that maximum: refused.
 */
export function newTokenLifetime(policy: TokensConfig, requested: number | null | undefined): number | null {
  const expiresIn = requested === undefined ? policy.default_expires_in : requested || null;
  const max = policy.expires_in_max_seconds;
  if (!max) return expiresIn;
  if (expiresIn === null) return max;
  if (expiresIn > max) throw tokenLifetimeExceeded(expiresIn, max);
  return expiresIn;
}

/**
 * A rotated token's successor lives as long as the token did. The maximum may have been lowered since the
 * old token was made: the successor obeys the current one.
 */
export function successorLifetime(policy: TokensConfig, old: TokenRow): number | null {
  const lifetime = old.expires_at
    ? Math.max(1, Math.round((Date.parse(old.expires_at) - Date.parse(old.created)) / 1000))
    : null;
  const max = policy.expires_in_max_seconds;
  return max && (lifetime === null || lifetime > max) ? max : lifetime;
}
