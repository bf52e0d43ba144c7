import { activeTokenIds } from '../../repo/tokens.ts';
import type { Caller } from '../deps.ts';
import { loggedCaller, type TokenCommandDeps } from './deps.ts';
import { revokeIds } from './revoke-ids.ts';

/**
 * Revokes every token of the user but its servers' own (the hub replaces those when it restarts a server;
 * revoking them would cut running servers off). Returns how many were revoked.
 */
export async function revokeAllTokens(
  deps: TokenCommandDeps,
  caller: Caller,
  input: { user: { id: number; name: string } },
): Promise<number> {
  const { user } = input;
  const ids = await activeTokenIds(deps.k, { userId: user.id, notKind: 'server' });
  const revoked = await revokeIds(deps, caller, user.name, ids, () => 'all tokens of the user revoked');
  deps.log.info({ ...loggedCaller(caller), user: user.name, revoked }, 'revoked all tokens');
  return revoked;
}
