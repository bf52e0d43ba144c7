import type { Config } from '../../config/index.ts';
import {
  activeServerLimitReached,
  invalidRequest,
  invalidServerName,
  namedServerLimit,
  namedServersDisabled,
  notFound,
  serverPending,
  serverRunning,
  spawnLimitReached,
} from '../../errors/index.ts';
import { parseJson } from '../../lib/json.ts';
import { refuseSpawn } from '../../metrics/index.ts';
import { allGroupNamesByUser } from '../../repo/groups.ts';
import { countNamedSpawners, findSpawner } from '../../repo/spawners.ts';
import { isValidServerName, serverLogName } from '../../servers/names.ts';
import { type ChosenOptions, chooseOptions } from '../../spawners/profiles/index.ts';
import type { ServerCommandDeps, ServerRef } from './deps.ts';

// Every rule on whether a server may be started, stopped or removed; the API, the pages and the
// commands apply these and write none of their own.

/** Named servers exist only with `allow_named_servers` (the default server always does). */
export function admitServerName(config: Config, server: string): void {
  if (server && !config.allow_named_servers) throw namedServersDisabled();
}

/**
 * Whether a server may start: named-server rules for a new named server, then what the runtime is doing
 * with it. 'pending' means a start is already in flight (answered like a slow start, as upstream does).
 * The global limits are `admitSpawn`, checked just before the runtime registers the start.
 */
export async function admitStart(deps: ServerCommandDeps, { user, server }: ServerRef): Promise<'start' | 'pending'> {
  admitServerName(deps.config, server);
  if (server && !(await findSpawner(deps.k, user.id, server))) await admitNewServerName(deps, user, server);
  const status = await deps.servers.probe(user, server);
  if (status === 'spawn') return 'pending';
  if (status === 'stop') throw serverPending(serverLogName(user.name, server), 'stop');
  if (status === 'running') throw serverRunning(serverLogName(user.name, server));
  return 'start';
}

/**
 * A name for a named server record that does not exist yet: valid, and (unless it only replaces another
 * named server's name) within `named_server_limit_per_user`.
 */
export async function admitNewServerName(
  deps: Pick<ServerCommandDeps, 'k' | 'config'>,
  user: ServerRef['user'],
  server: string,
  countsAgainstLimit = true,
): Promise<void> {
  const limit = deps.config.named_server_limit_per_user;
  if (countsAgainstLimit && limit > 0 && (await countNamedSpawners(deps.k, user.id)) >= limit)
    throw namedServerLimit(user.name, limit);
  if (!isValidServerName(server)) throw invalidServerName(server);
}

/**
 * `concurrent_spawn_limit` and `active_server_limit`. Synchronous on purpose: called in the same tick as
 * the runtime's spawn, which registers the start before its first await, so two requests cannot both
 * take the last place.
 */
export function admitSpawn(deps: ServerCommandDeps): void {
  const { concurrent_spawn_limit, active_server_limit } = deps.config;
  if (concurrent_spawn_limit && deps.servers.pendingSpawns() >= concurrent_spawn_limit)
    throw refuseSpawn(deps.metrics?.spawnDuration, spawnLimitReached());
  if (active_server_limit && deps.servers.activeCount() >= active_server_limit)
    throw refuseSpawn(deps.metrics?.spawnDuration, activeServerLimitReached());
}

/**
 * The user_options a start runs with, checked against `spawner.profile_list` (a 400 naming the field
 * otherwise), and the spawner config the user's groups (`group_overrides`) and the chosen profile give.
 * null options reuse the server's last ones, so a restart runs the same profile again.
 */
export async function admitUserOptions(
  deps: ServerCommandDeps,
  { user, server }: ServerRef,
  userOptions: Record<string, unknown> | null,
): Promise<ChosenOptions> {
  const last = async () =>
    parseJson<Record<string, unknown>>((await findSpawner(deps.k, user.id, server))?.user_options ?? null, {});
  const groups = await allGroupNamesByUser(deps.k, user.name);
  return chooseOptions(deps.config.spawner, userOptions ?? (await last()), groups);
}

/** A stop names an existing server: a named one must be allowed and recorded. */
export async function admitStop(deps: ServerCommandDeps, { user, server }: ServerRef): Promise<void> {
  admitServerName(deps.config, server);
  if (server && !(await findSpawner(deps.k, user.id, server))) {
    throw notFound(`${user.name} has no server named '${server}'`);
  }
}

/** Only named servers are removed; the default server always exists. */
export function admitRemoval({ server }: ServerRef): void {
  if (!server) throw invalidRequest('Cannot delete the default server');
}
