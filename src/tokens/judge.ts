import type { TokenRow } from '../db/index.ts';
import type { AuthFailure } from '../errors/index.ts';
import { isPast } from '../lib/time.ts';
import { policyFailure, type TokenPolicy } from './policy.ts';

export type Identified = { ok: true; row: TokenRow } | { ok: false; reason: AuthFailure };

/** The token policy a judgement applies to existing tokens, with the owner's roles when it needs them. */
export interface PolicyContext {
  policy: TokenPolicy;
  roles?: readonly string[];
}

/**
 * Whether a stored token is usable now, and if not, the precise reason: the one rule that authentication,
 * token listings and rotation all ask. With `policy`, the `tokens.*` rules that bind existing tokens too
 * (src/tokens/policy.ts) refuse it after the token's own state.
 */
export function judge(row: TokenRow, now = Date.now(), policy: PolicyContext | null = null): Identified {
  if (row.revoked_at !== null) return { ok: false, reason: 'token_revoked' };
  if (isPast(row.expires_at, now))
    return { ok: false, reason: row.replaced_by !== null ? 'token_rotated' : 'token_expired' };
  const refused = policy ? policyFailure(row, policy.policy, now, policy.roles) : null;
  return refused ? { ok: false, reason: refused } : { ok: true, row };
}
