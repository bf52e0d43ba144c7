import { serverTarget } from '../../audit/event.ts';
import type { SpawnerRow } from '../../db/index.ts';
import { alreadyExists } from '../../errors/index.ts';
import { findSpawner, getOrCreateSpawner, updateSpawner } from '../../repo/spawners.ts';
import { serverLogName } from '../../servers/names.ts';
import type { Caller, CommandDeps } from '../deps.ts';
import { admitNewServerName, admitServerName } from './admit.ts';
import type { ServerRef } from './deps.ts';
import { admitDisplayName } from './display-name.ts';

export interface CreateServerInput extends ServerRef {
  /** Defaults to the server's name. */
  displayName: string | null;
  /** Stored for the first start; null keeps the empty default. */
  userOptions: Record<string, unknown> | null;
}

/**
 * Records a named server without starting it (JupyterHub 6's PUT): the named-server rules of a start,
 * 409 for a name already taken and for the default server, which every user has already.
 */
export async function createServer(deps: CommandDeps, caller: Caller, input: CreateServerInput): Promise<SpawnerRow> {
  const { user, server, userOptions } = input;
  if (!server) throw alreadyExists(`User ${user.name} already has a default server`);
  const taken = () => alreadyExists(`User ${user.name} already has server ${server}`);
  if (await findSpawner(deps.k, user.id, server)) throw taken();
  admitServerName(deps.config, server);
  await admitNewServerName(deps, user, server);
  const displayName = admitDisplayName(input.displayName || server);
  const row = await deps.k.transaction().execute(async (trx) => {
    // A concurrent PUT of the same name got in first: one of the two is told the name is taken.
    if (await findSpawner(trx, user.id, server)) throw taken();
    const created = await getOrCreateSpawner(trx, user.id, server, displayName);
    if (userOptions) await updateSpawner(trx, created.id, { user_options: JSON.stringify(userOptions) });
    return (await findSpawner(trx, user.id, server))!;
  });
  deps.audit.record({ ...caller.origin, action: 'server.create', target: serverTarget(user.name, server) });
  deps.log.info({ actor: caller.origin.actor.name, server: serverLogName(user.name, server) }, 'server created');
  return row;
}
