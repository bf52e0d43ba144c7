import type { TokenRow } from '../db/index.ts';
import type { AuthFailure } from '../errors/index.ts';
import { isPast } from '../lib/time.ts';

export type Identified = { ok: true; row: TokenRow } | { ok: false; reason: AuthFailure };

/**
 * Whether a stored token is usable now, and if not, the precise reason: the one rule that authentication,
 * token listings and rotation all ask.
 */
export function judge(row: TokenRow, now = Date.now()): Identified {
  if (row.revoked_at !== null) return { ok: false, reason: 'token_revoked' };
  if (isPast(row.expires_at, now))
    return { ok: false, reason: row.replaced_by !== null ? 'token_rotated' : 'token_expired' };
  return { ok: true, row };
}
