import type { SpawnRequest } from '../spawners/spawner.ts';
import { ConfigError } from './errors.ts';
import type { ConfigInput } from './schema.ts';
import type { SpawnerConfig } from './schema-spawner.ts';
import { isPlainObject } from './validate.ts';

type MaybePromise<T> = T | Promise<T>;

/**
 * JupyterHub's spawner hooks, written as functions in a `.ts`/`.mjs` config under `spawner:`. Each
 * receives the request the server is started with and may change it (env, config.cmd, ...); one that
 * throws fails the spawn with its message.
 */
export interface SpawnerHooks {
  /** Called with the user's auth_state (null until authenticators keep one), before pre_spawn_hook. */
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

/** What defineConfig and buildConfig accept: a config whose `spawner` section may carry hooks. */
export type ConfigWithHooks = Omit<ConfigInput, 'spawner'> & { spawner?: ConfigInput['spawner'] & SpawnerHooks };

// Keyed by the validated `spawner` section: hooks are code, not config data, so they stay out of the
// schema (and out of the generated config file) yet travel with the config to the server manager.
const attached = new WeakMap<object, SpawnerHooks>();

/** Splits a config's hook functions from its data (which is not changed); a hook that is not a function is a ConfigError. */
export function takeSpawnerHooks(
  data: Record<string, unknown>,
  where: string,
): { data: Record<string, unknown>; hooks: SpawnerHooks } {
  const section = data.spawner;
  if (!isPlainObject(section) || !HOOK_KEYS.some((k) => k in section)) return { data, hooks: {} };
  const rest: Record<string, unknown> = { ...section };
  const hooks: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const key of HOOK_KEYS) {
    if (!(key in rest)) continue;
    const fn = rest[key];
    delete rest[key];
    if (fn === undefined || fn === null) continue;
    if (typeof fn === 'function') hooks[key] = fn;
    else
      problems.push(`spawner.${key} ${where}: must be a function (hooks can only be set in a .ts, .mjs or .js config)`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { data: { ...data, spawner: rest }, hooks: hooks as SpawnerHooks };
}

export function attachSpawnerHooks(spawner: SpawnerConfig, hooks: SpawnerHooks): void {
  if (Object.keys(hooks).length > 0) attached.set(spawner, hooks);
}

/** The hooks the config with this `spawner` section was loaded with; none for a config without. */
export function spawnerHooks(spawner: SpawnerConfig): SpawnerHooks {
  return attached.get(spawner) ?? {};
}
