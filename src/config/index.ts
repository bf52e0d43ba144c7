// Public surface of the config module: schema and types, the loader, and the helpers around it.
export { ConfigSchema } from './schema.ts';
export type { Config, ConfigInput, ServiceInput } from './schema.ts';
export type { AuthenticatorConfig } from './schema-authenticator.ts';
export type { SpawnerConfig } from './schema-spawner.ts';
export type { ProxyConfig } from './schema-proxy.ts';
export type { TokensConfig } from './schema-tokens.ts';
export type { ServiceSpec } from './schema-services.ts';
export type { RoleSpec, CustomScopeSpec } from './schema-hub.ts';
export { loadConfig, buildConfig, defaultConfig } from './loader.ts';
export type { LoadConfigOptions, LoadedConfig } from './loader.ts';
export { ConfigError } from './errors.ts';
export { defineConfig } from './define-config.ts';
export { generateConfigText } from './generate.ts';
export { parseDbUrl } from './db-url.ts';
export { noAllowConfigWarning } from './semantic.ts';
export type { DbTarget } from './db-url.ts';
