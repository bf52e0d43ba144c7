import { activeTokenIds } from '../../repo/tokens.ts';
import type { Caller } from '../deps.ts';
import { loggedCaller, type TokenCommandDeps } from './deps.ts';
import { findOwnToken } from './own-token.ts';
import { revokeIds } from './revoke-ids.ts';

export interface RevokeTokenInput {
  user: { id: number; name: string };
  /** `a<id>`, as the API names tokens; only a usable token is found. */
  tokenId: string;
}

/**
 * Revokes one of the user's tokens. Revoking an OAuth token revokes every token that client holds for the
 * user, as upstream. Returns the ids revoked.
 */
export async function revokeToken(deps: TokenCommandDeps, caller: Caller, input: RevokeTokenInput): Promise<number[]> {
  const { user, tokenId } = input;
  const row = await findOwnToken(deps.k, user, tokenId, false);
  const ids =
    row.client_id === 'jupyterhub'
      ? [row.id]
      : await activeTokenIds(deps.k, { userId: user.id, clientId: row.client_id });
  await revokeIds(deps, caller, user.name, ids, (id) => (id === row.id ? null : `same OAuth client as ${tokenId}`));
  deps.log.info({ ...loggedCaller(caller), user: user.name, token_id: tokenId, count: ids.length }, 'token revoked');
  return ids;
}
