import type { Caller } from '../deps.ts';
import { serverLogName } from '../../servers/names.ts';
import { admitRemoval } from './admit.ts';
import type { ServerCommandDeps, ServerRef } from './deps.ts';
import { stopServer } from './stop.ts';

/**
 * Stops a named server and deletes its record (its name, display name, user_options). The record goes
 * once the stop has finished, even when that is after this returns 'pending'.
 */
export async function removeServer(
  deps: ServerCommandDeps,
  caller: Caller,
  input: ServerRef,
): Promise<'stopped' | 'pending'> {
  admitRemoval(input);
  const outcome = await stopServer(deps, caller, input);
  await deps.servers.remove(input.user, input.server, outcome === 'pending');
  deps.log.info(
    { actor: caller.origin.actor.name, server: serverLogName(input.user.name, input.server), outcome },
    'server removal requested',
  );
  return outcome;
}
