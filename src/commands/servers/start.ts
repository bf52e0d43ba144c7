import type { Caller } from '../deps.ts';
import { authExpired } from '../../errors/index.ts';
import { findUserById } from '../../repo/users.ts';
import { serverLogName } from '../../servers/names.ts';
import type { AuthStateDeps } from '../users/auth-state.ts';
import { refreshAuth } from '../users/provider-login.ts';
import { admitSpawn, admitStart, admitUserOptions } from './admit.ts';
import type { ServerCommandDeps, ServerRef } from './deps.ts';

export interface StartServerInput extends ServerRef {
  /** null: reuse the server's last user_options. */
  userOptions: Record<string, unknown> | null;
  displayName?: string | null;
}

/**
 * Starts a server once admitted. Resolves 'ready' when it came up within `slow_spawn_timeout`, 'pending'
 * while the start goes on (or was already going on); rejects with the refusal or the spawn failure.
 */
export async function startServer(
  // The auth_state parts are the hub's (HubContext has them); without them there is no login to refresh.
  deps: ServerCommandDeps & Partial<AuthStateDeps>,
  caller: Caller,
  input: StartServerInput,
): Promise<'ready' | 'pending'> {
  const { user, server, userOptions, displayName } = input;
  let outcome: 'ready' | 'pending' = 'pending';
  if ((await admitStart(deps, input)) === 'start') {
    const chosen = await admitUserOptions(deps, input, userOptions);
    // refresh_pre_spawn: the server starts with tokens the provider has just renewed, or not at all.
    const { crypt, authRefresh } = deps;
    const row = deps.config.authenticator.refresh_pre_spawn ? await findUserById(deps.k, user.id) : undefined;
    if (
      row &&
      crypt &&
      authRefresh &&
      !(await refreshAuth({ ...deps, crypt, authRefresh }, caller, { user: row, force: true }))
    )
      throw authExpired(user.name);
    // The global limits are checked in the same tick as the spawn registers itself: no await between them.
    admitSpawn(deps);
    outcome = await deps.servers.spawn(user, server, {
      userOptions: chosen.userOptions,
      spawnerConfig: chosen.config,
      displayName,
      origin: caller.origin,
    });
  }
  deps.log.info(
    { actor: caller.origin.actor.name, server: serverLogName(user.name, server), outcome },
    'server start requested',
  );
  return outcome;
}
