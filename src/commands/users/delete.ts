import { setTimeout as sleep } from 'node:timers/promises';
import { userTarget } from '../../audit/index.ts';
import { cannotDeleteSelf, noSuchUser, serverStopPending } from '../../errors/index.ts';
import { deleteUser as deleteUserRow, findUser, serverNamesOf } from '../../repo/users.ts';
import type { Caller, CommandDeps } from '../deps.ts';

/** What deleting or blocking a user needs of the server runtime (the hub's ServerManager is one). */
export interface UserServerRuntime {
  /** The transition in flight for one server, as this process knows it. */
  pendingOf(userId: number, server: string): 'spawn' | 'stop' | null;
  /** Stops every server of the user (cancelling starts in flight); resolves once they are stopped. */
  stopAllOf(userId: number): Promise<unknown>;
  /** The spawners' delete_forever for every server of a user about to be deleted (storage claims go). */
  deleteForeverAllOf(user: { id: number; name: string }): Promise<void>;
}

export interface UserServersDeps extends CommandDeps {
  servers: UserServerRuntime;
}

async function stopping(deps: UserServersDeps, userId: number): Promise<boolean> {
  const names = await serverNamesOf(deps.k, userId);
  return names.some((s) => deps.servers.pendingOf(userId, s) === 'stop');
}

/**
 * Stops the user's servers, waiting `slow_stop_timeout` as a stop request does; true if one is still
 * stopping after that. A stop already in flight is not waited for: upstream answers 400 at once.
 */
export async function stopServersOf(deps: UserServersDeps, userId: number): Promise<'stopped' | 'pending'> {
  if (await stopping(deps, userId)) return 'pending';
  const done = deps.servers.stopAllOf(userId).then(() => 'stopped' as const);
  const outcome = await Promise.race([done, sleep(deps.config.slow_stop_timeout * 1000, 'pending' as const)]);
  return outcome === 'stopped' || !(await stopping(deps, userId)) ? 'stopped' : 'pending';
}

/**
 * DELETE /users/{name}: stops the user's servers first (so they neither keep running nor count against
 * `active_server_limit`), lets each spawner drop what outlives a stop (as upstream's delete_user calls
 * delete_forever for every spawner), then deletes the row with everything hanging on it. 400 while a stop
 * is pending.
 */
export async function deleteUser(deps: UserServersDeps, caller: Caller, input: { name: string }): Promise<void> {
  const user = await findUser(deps.k, input.name);
  if (!user) throw noSuchUser(input.name);
  const p = caller.principal;
  if (p && p.kind === 'user' && p.name === user.name) throw cannotDeleteSelf();
  if ((await stopServersOf(deps, user.id)) === 'pending') throw serverStopPending(user.name);
  await deps.servers.deleteForeverAllOf(user);
  // Read before the rows go with the user: a deleted token cannot be found by the pusher's sweep.
  const tokens = await deps.k.selectFrom('api_tokens').select('hashed').where('user_id', '=', user.id).execute();
  await deps.k.transaction().execute((trx) => deleteUserRow(trx, user.id));
  deps.permissions.invalidate();
  // What the hub answers for a token whose row is gone.
  deps.refusals?.tokensRefused(tokens, 'token_unknown');
  deps.log.info({ actor: p?.name ?? null, user: user.name }, 'deleted user');
  deps.audit.record({ ...caller.origin, action: 'user.delete', target: userTarget(user.name) });
}
