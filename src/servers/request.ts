import type { SpawnerConfig } from '../config/index.ts';
import type { SpawnRequest } from '../spawners/spawner.ts';
import type { ServerManagerDeps, ServerOwner } from './deps.ts';
import { serverLogName, serverPrefix } from './names.ts';

/** What a spawner is given for one server: for a start, a re-adoption or a delete_forever. */
export function spawnRequest(
  deps: Pick<ServerManagerDeps, 'baseUrl' | 'log' | 'stateDir' | 'config'>,
  user: ServerOwner,
  server: string,
  env: Record<string, string>,
  userOptions: Record<string, unknown>,
  spawnerConfig: SpawnerConfig = deps.config.spawner,
): SpawnRequest {
  return {
    user,
    serverName: server,
    prefix: serverPrefix(deps.baseUrl, user.name, server),
    env,
    userOptions,
    // Shared, read only: a start hands in its own copy (its hooks may change it); a re-adopted server runs
    // no hooks, so thousands of them share the hub's config instead of each holding a copy.
    config: spawnerConfig,
    stateDir: deps.stateDir,
    log: deps.log.child({ server: serverLogName(user.name, server) }),
  };
}
