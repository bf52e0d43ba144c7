import { tokenTarget } from '../../audit/index.ts';
import { isoNow } from '../../lib/time.ts';
import { revokeTokens } from '../../repo/tokens.ts';
import type { Caller } from '../deps.ts';
import type { TokenCommandDeps } from './deps.ts';

/**
 * What every revocation does: revoke the tokens, drop what was cached from them, and put each on record as
 * `token.revoke` with `reason(id)`. Returns how many were still live.
 */
export async function revokeIds(
  deps: TokenCommandDeps,
  caller: Caller,
  owner: string | null,
  ids: number[],
  reason: (id: number) => string | null,
): Promise<number> {
  const revoked = await revokeTokens(deps.k, ids, isoNow());
  deps.permissions.invalidate();
  for (const id of ids)
    deps.audit.record({ ...caller.origin, action: 'token.revoke', target: tokenTarget(id, owner), reason: reason(id) });
  return revoked;
}
