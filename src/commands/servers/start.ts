import type { Caller } from '../deps.ts';
import { serverLogName } from '../../servers/names.ts';
import { authStateForSpawn, type MaybeAuthStateDeps, refreshBefore } from '../users/server-auth.ts';
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
  deps: ServerCommandDeps & MaybeAuthStateDeps,
  caller: Caller,
  input: StartServerInput,
): Promise<'ready' | 'pending'> {
  const { user, server, userOptions, displayName } = input;
  let outcome: 'ready' | 'pending' = 'pending';
  if ((await admitStart(deps, input)) === 'start') {
    const chosen = await admitUserOptions(deps, input, userOptions);
    // refresh_pre_spawn: the server starts with tokens the provider has just renewed, or not at all.
    await refreshBefore(deps, caller, { user, what: 'spawn' });
    const authState = await authStateForSpawn(deps, user);
    // The global limits are checked in the same tick as the spawn registers itself: no await between them.
    admitSpawn(deps);
    outcome = await deps.servers.spawn(user, server, {
      userOptions: chosen.userOptions,
      spawnerConfig: chosen.config,
      displayName,
      origin: caller.origin,
      authState,
    });
  }
  deps.log.info(
    { actor: caller.origin.actor.name, server: serverLogName(user.name, server), outcome },
    'server start requested',
  );
  return outcome;
}
