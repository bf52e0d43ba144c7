import type { LiveToken } from '../../tokens/scan/live.ts';
import type { Caller } from '../deps.ts';
import { loggedCaller, type TokenCommandDeps } from './deps.ts';
import { revokeIds } from './revoke-ids.ts';

/** Why a token is revoked here, in each `token.revoke` record: the owner and admins read it in the audit log. */
export const LEAKED_REASON = 'reported leaked';

/**
 * Revokes live tokens found leaked (reported to the intake endpoint, or found by the scanner) through the one
 * revocation path: cached lookups dropped, the proxy told, each on record as `token.revoke` with the reason
 * "reported leaked". Returns those it revoked (a token revoked meanwhile by someone else is still on record).
 */
export async function revokeLeaked(
  deps: TokenCommandDeps,
  caller: Caller,
  found: readonly LiveToken[],
): Promise<number> {
  const byOwner = new Map<string, LiveToken[]>();
  for (const t of found) {
    const key = `${t.owner.kind}:${t.owner.name}`;
    byOwner.set(key, [...(byOwner.get(key) ?? []), t]);
  }
  let revoked = 0;
  for (const own of byOwner.values()) {
    const ids = own.map((t) => t.id);
    revoked += await revokeIds(deps, caller, own[0]!.owner.name, ids, () => LEAKED_REASON);
  }
  if (found.length > 0)
    deps.log.warn({ ...loggedCaller(caller), revoked, found: found.length }, 'leaked tokens revoked');
  return revoked;
}
