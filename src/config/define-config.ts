import type { ConfigInput } from './schema.ts';

/** Identity function that gives `.ts`/`.mjs` config files type checking and completion. */
export function defineConfig(config: ConfigInput): ConfigInput {
  return config;
}
