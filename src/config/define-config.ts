import type { ConfigWithHooks } from './spawner-hooks.ts';

/** Identity function that gives `.ts`/`.mjs` config files type checking and completion, spawner hooks included. */
export function defineConfig(config: ConfigWithHooks): ConfigWithHooks {
  return config;
}
