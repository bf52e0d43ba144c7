import type { AuthenticatorHooks } from './auth-hooks.ts';
import type { HubHooks } from './hub-hooks.ts';
import type { ConfigInput } from './schema.ts';
import type { SpawnerHooks } from './spawner-hooks.ts';

/** What defineConfig and buildConfig accept: a config whose `spawner` and `authenticator` sections, and top level, may carry hooks. */
export type ConfigWithHooks = Omit<ConfigInput, 'spawner' | 'authenticator'> & {
  spawner?: ConfigInput['spawner'] & SpawnerHooks;
  authenticator?: ConfigInput['authenticator'] & AuthenticatorHooks;
} & HubHooks;

/** Identity function that gives `.ts`/`.mjs` config files type checking and completion, hooks included. */
export function defineConfig(config: ConfigWithHooks): ConfigWithHooks {
  return config;
}
