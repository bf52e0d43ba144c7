import type { Caller } from '../deps.ts';
import { serverLogName } from '../../servers/names.ts';
import { admitStop } from './admit.ts';
import type { ServerCommandDeps, ServerRef } from './deps.ts';

/**
 * Stops a server (cancelling a start in flight). Resolves 'stopped', or 'pending' when the stop takes
 * longer than `slow_stop_timeout` and goes on in the background. Stopping a stopped server is no error.
 */
export async function stopServer(
  deps: ServerCommandDeps,
  caller: Caller,
  input: ServerRef,
): Promise<'stopped' | 'pending'> {
  const { user, server } = input;
  await admitStop(deps, input);
  const outcome = await deps.servers.stop(user, server, caller.origin);
  deps.log.info(
    { actor: caller.origin.actor.name, server: serverLogName(user.name, server), outcome },
    'server stop requested',
  );
  return outcome;
}
