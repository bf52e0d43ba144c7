import type { Logger } from 'pino';
import type { SpawnerConfig } from '../config/index.ts';
import { spawnerHooks } from '../config/spawner-hooks.ts';
import type { SpawnRequest } from '../spawners/spawner.ts';

/**
 * Runs the config's hooks on a new start's request in JupyterHub's order (auth_state_hook, then
 * pre_spawn_hook), then modify_spawn_request, whose answer (or the request it changed) starts.
 * `config` is the hub's own spawner section, which the hooks were loaded with. `authState` is the
 * user's, decrypted; null (as upstream's None) without enable_auth_state or when there is none. The
 * hook gets its own copy: what it changes in it stays out of the next start.
 */
export async function runSpawnHooks(
  config: SpawnerConfig,
  req: SpawnRequest,
  authState: Record<string, unknown> | null,
): Promise<SpawnRequest> {
  const hooks = spawnerHooks(config);
  await hooks.auth_state_hook?.(req, authState === null ? null : structuredClone(authState));
  await hooks.pre_spawn_hook?.(req);
  const modified = await hooks.modify_spawn_request?.(req);
  return typeof modified === 'object' && modified !== null ? (modified as SpawnRequest) : req;
}

/** post_stop_hook after a server stopped; like upstream, a failing hook is logged and changes nothing. */
export async function runPostStopHook(config: SpawnerConfig, req: SpawnRequest, log: Logger): Promise<void> {
  const hook = spawnerHooks(config).post_stop_hook;
  if (hook === undefined) return;
  try {
    await hook(req);
  } catch (err) {
    log.error({ err: err instanceof Error ? err.message : String(err) }, 'post_stop_hook failed');
  }
}
