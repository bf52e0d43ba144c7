import type { SpawnerRow } from '../db/index.ts';
import { parseJson } from '../lib/json.ts';
import { findSpawner } from '../repo/spawners.ts';
import type { ServerManagerDeps, ServerOwner } from './deps.ts';
import { serverLogName } from './names.ts';
import { spawnRequest } from './request.ts';
import { restoredOptions } from './restore.ts';

/**
 * JupyterHub's delete_forever: what the spawner keeps beyond a stop (a storage claim) goes with the
 * server. The spawner is built with the settings the server was started with (its groups' and profile's),
 * so a profile's storage settings are honoured. A failure is logged and the deletion goes on. Returns the
 * server's row (undefined: no such server) for the caller to delete.
 */
export async function deleteForever(
  deps: ServerManagerDeps,
  user: ServerOwner,
  server: string,
): Promise<SpawnerRow | undefined> {
  const row = await findSpawner(deps.k, user.id, server);
  if (!row) return undefined;
  try {
    const chosen = await restoredOptions(deps, { user_name: user.name, user_options: row.user_options });
    const request = spawnRequest(deps, user, server, {}, chosen.userOptions, chosen.config);
    await deps.spawners.restore(request, parseJson<Record<string, unknown>>(row.state, {})).deleteForever?.();
  } catch (err) {
    deps.log.warn({ server: serverLogName(user.name, server), err: (err as Error).message }, 'delete_forever failed');
  }
  return row;
}
