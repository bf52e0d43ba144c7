import { serverTarget } from '../../audit/event.ts';
import type { SpawnerRow } from '../../db/index.ts';
import { alreadyExists, invalidRequest, notFound, serverActive } from '../../errors/index.ts';
import { findSpawner, updateSpawner } from '../../repo/spawners.ts';
import { serverLogName } from '../../servers/names.ts';
import type { Caller } from '../deps.ts';
import { admitNewServerName, admitServerName } from './admit.ts';
import type { ServerCommandDeps, ServerRef } from './deps.ts';
import { admitDisplayName } from './display-name.ts';

export interface ModifyServerInput extends ServerRef {
  /** Rename the server to this. */
  name?: string;
  displayName?: string;
  userOptions?: Record<string, unknown>;
}

/**
 * Renames a stopped server, or sets its display name or stored user_options (JupyterHub 6's PATCH).
 * A running, starting or stopping server is refused: its URL, OAuth client and token carry its name.
 */
export async function modifyServer(
  deps: ServerCommandDeps,
  caller: Caller,
  input: ModifyServerInput,
): Promise<SpawnerRow> {
  const { user, server, name, userOptions } = input;
  if (name === undefined && input.displayName === undefined && userOptions === undefined)
    throw invalidRequest('Must specify at least one field to modify.');
  let displayName: string | undefined;
  if (name !== undefined) {
    admitServerName(deps.config, name);
    // Renaming the default server leaves room for a new default one: one more named server.
    if (!(await findSpawner(deps.k, user.id, name))) await admitNewServerName(deps, user, name, server === '');
    displayName = admitDisplayName(input.displayName || name);
  } else if (input.displayName) {
    admitServerName(deps.config, server);
    displayName = admitDisplayName(input.displayName);
  }
  const row = await findSpawner(deps.k, user.id, server);
  if (!row) throw notFound(`User ${user.name} has no such server ${server}`);
  const logName = serverLogName(user.name, server);
  if (row.server_url !== null || row.pending !== null || (await deps.servers.probe(user, server)) !== 'stopped')
    throw serverActive(logName);
  const changes: Partial<SpawnerRow> = {};
  const said: string[] = [];
  if (name !== undefined) {
    if (await findSpawner(deps.k, user.id, name)) throw alreadyExists(`User ${user.name} already has server '${name}'`);
    changes.name = name;
    said.push(`renamed to ${user.name}/${name}`);
    // A display name that only repeated the old name follows the new one.
    if (input.displayName === undefined && (row.display_name === null || row.display_name === server))
      changes.display_name = name;
  }
  if (input.displayName !== undefined && displayName !== undefined && displayName !== row.display_name) {
    changes.display_name = displayName;
    said.push('display_name changed');
  }
  if (userOptions !== undefined) {
    changes.user_options = JSON.stringify(userOptions);
    said.push('user_options changed');
  }
  // The unique (user, name) index refuses a concurrent rename to the same name.
  await updateSpawner(deps.k, row.id, changes);
  if (said.length) {
    deps.audit.record({
      ...caller.origin,
      action: 'server.modify',
      target: serverTarget(user.name, server),
      reason: said.join('; '),
    });
    deps.log.info({ actor: caller.origin.actor.name, server: logName, changes: said }, 'server modified');
  }
  return (await findSpawner(deps.k, user.id, changes.name ?? server))!;
}
