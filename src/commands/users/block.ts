import { userTarget } from '../../audit/index.ts';
import { isoNow } from '../../lib/time.ts';
import { activeTokenIds, revokeTokens } from '../../repo/tokens.ts';
import { findUser, rotateCookieId, updateUser } from '../../repo/users.ts';
import type { Caller } from '../deps.ts';
import { stopServersOf, type UserServersDeps } from './delete.ts';

export interface BlockOutcome {
  revokedTokens: number;
  adminRemoved: boolean;
  serversStopping: boolean;
}

/**
 * Takes every permission from a user in `authenticator.blocked_users`, as JupyterHub 5.2 does at
 * start-up: their tokens (API, OAuth and session tokens alike) and pending OAuth codes, their login
 * cookies (a new cookie id), admin, every role and group, and their servers. Logins are refused by the admission rules
 * (rules.ts); this makes what they were given before stop working. null for a user that does not exist.
 */
export async function blockUser(
  deps: UserServersDeps,
  caller: Caller,
  input: { name: string },
): Promise<BlockOutcome | null> {
  const user = await findUser(deps.k, input.name);
  if (!user) return null;
  const adminRemoved = user.admin === 1;
  const revokedTokens = await deps.k.transaction().execute(async (trx) => {
    const n = await revokeTokens(trx, await activeTokenIds(trx, { userId: user.id }), isoNow());
    await trx.deleteFrom('oauth_codes').where('user_id', '=', user.id).execute();
    await rotateCookieId(trx, user.id);
    if (adminRemoved) await updateUser(trx, user.id, { admin: false });
    // Every role (the default `user` role too) and every group, as upstream's init_blocked_users: a
    // blocked user holds no permission at all. admitUser gives the default roles back if they are
    // ever unblocked and log in again.
    await trx.deleteFrom('user_role_map').where('user_id', '=', user.id).execute();
    await trx.deleteFrom('user_group_map').where('user_id', '=', user.id).execute();
    return n;
  });
  deps.permissions.invalidate();
  deps.refusals?.tokensChanged();
  const serversStopping = (await stopServersOf(deps, user.id)) === 'pending';
  const done = [`${revokedTokens} tokens revoked`, 'sessions ended', 'roles and groups removed'];
  if (adminRemoved) done.push('admin removed');
  if (serversStopping) done.push('servers still stopping');
  deps.log.info({ actor: caller.principal?.name ?? null, user: user.name, done }, 'blocked user');
  deps.audit.record({ ...caller.origin, action: 'user.block', target: userTarget(user.name), reason: done.join('; ') });
  return { revokedTokens, adminRemoved, serversStopping };
}
