import type { Caller } from '../deps.ts';
import { serverLogName } from '../../servers/names.ts';
import { type MaybeAuthStateDeps, refreshBefore } from '../users/server-auth.ts';
import { admitStop } from './admit.ts';
import type { ServerCommandDeps, ServerRef } from './deps.ts';

/**
 * Stops a server (cancelling a start in flight). Resolves 'stopped', or 'pending' when the stop takes
 * longer than `slow_stop_timeout` and goes on in the background. Stopping a stopped server is no error.
 */
export async function stopServer(
  deps: ServerCommandDeps & MaybeAuthStateDeps,
  caller: Caller,
  input: ServerRef,
): Promise<'stopped' | 'pending'> {
  const { user, server } = input;
  await admitStop(deps, input);
  // refresh_pre_stop: only a server that is up has a stop for post_stop_hook to see.
  if (deps.config.authenticator.refresh_pre_stop && (await deps.servers.probe(user, server)) !== 'stopped')
    await refreshBefore(deps, caller, { user, what: 'stop' });
  const outcome = await deps.servers.stop(user, server, caller.origin);
  deps.log.info(
    { actor: caller.origin.actor.name, server: serverLogName(user.name, server), outcome },
    'server stop requested',
  );
  return outcome;
}
