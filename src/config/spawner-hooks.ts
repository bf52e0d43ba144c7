import type { SpawnRequest } from '../spawners/spawner.ts';
import { attachHooks, hooksOf, takeHooks } from './hooks.ts';
import type { SpawnerConfig } from './schema-spawner.ts';

type MaybePromise<T> = T | Promise<T>;

/**
 * JupyterHub's spawner hooks, written as functions in a `.ts`/`.mjs` config under `spawner:`. Each
 * receives the request the server is started with and may change it (env, config.cmd, ...); one that
 * throws fails the spawn with its message.
 */
export interface SpawnerHooks {
  /** Called with the user's decrypted auth_state (null without enable_auth_state), before pre_spawn_hook. */
  auth_state_hook?: (spawner: SpawnRequest, authState: Record<string, unknown> | null) => MaybePromise<unknown>;
  pre_spawn_hook?: (spawner: SpawnRequest) => MaybePromise<unknown>;
  /** KubeSpawner's modify_pod_hook for every spawner: the request it returns, if it returns one, starts; else the one it changed. */
  modify_spawn_request?: (spawner: SpawnRequest) => MaybePromise<unknown>;
  /** KubeSpawner's modify_pod_hook (kubernetes spawner): the pod it returns, if it returns one, is created; else the one it changed. */
  modify_pod_hook?: (spawner: SpawnRequest, pod: Record<string, unknown>) => MaybePromise<unknown>;
  /** After the server has stopped; a throw is logged, as upstream does, and changes nothing. */
  post_stop_hook?: (spawner: SpawnRequest) => MaybePromise<unknown>;
}

const HOOK_KEYS = [
  'auth_state_hook',
  'pre_spawn_hook',
  'modify_spawn_request',
  'modify_pod_hook',
  'post_stop_hook',
] as const;

/** Splits a config's spawner hook functions from its data (which is not changed). */
export function takeSpawnerHooks(
  data: Record<string, unknown>,
  where: string,
): { data: Record<string, unknown>; hooks: SpawnerHooks } {
  return takeHooks<SpawnerHooks>(data, 'spawner', HOOK_KEYS, where);
}

export function attachSpawnerHooks(spawner: SpawnerConfig, hooks: SpawnerHooks): void {
  attachHooks(spawner, hooks);
}

/** The hooks the config with this `spawner` section was loaded with; none for a config without. */
export function spawnerHooks(spawner: SpawnerConfig): SpawnerHooks {
  return hooksOf<SpawnerHooks>(spawner);
}
