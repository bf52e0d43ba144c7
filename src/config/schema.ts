import { Type } from 'typebox';
import type { Static } from 'typebox';
import { AuditSchema } from './schema-audit.ts';
import { AuthenticatorSchema } from './schema-authenticator.ts';
import { hubProperties } from './schema-hub.ts';
import type { RoleSpec } from './schema-hub.ts';
import { ProxySchema } from './schema-proxy.ts';
import { RateLimitsSchema } from './schema-rate-limits.ts';
import { ServicesSchema } from './schema-services.ts';
import type { ServiceSpec } from './schema-services.ts';
import { SpawnerSchema } from './schema-spawner.ts';
import { TokensSchema } from './schema-tokens.ts';
import './formats.ts';

export const ConfigSchema = Type.Object(
  {
    ...hubProperties,
    authenticator: AuthenticatorSchema,
    spawner: SpawnerSchema,
    proxy: ProxySchema,
    services: ServicesSchema,
    tokens: TokensSchema,
    rate_limits: RateLimitsSchema,
    audit: AuditSchema,
  },
  { additionalProperties: false, description: 'tshub configuration' },
);

/** The whole configuration, every key present (defaults applied). */
export type Config = Static<typeof ConfigSchema>;

type DeepPartial<T> = T extends readonly [unknown, ...unknown[]]
  ? T
  : T extends readonly (infer U)[]
    ? DeepPartial<U>[]
    : T extends object
      ? { [K in keyof T]?: DeepPartial<T[K]> }
      : T;

/** A service as written in a config: only the name is required. */
export type ServiceInput = DeepPartial<ServiceSpec> & { name: string };

/** What a config file (or defineConfig) may contain: any subset of Config. */
export type ConfigInput = DeepPartial<Omit<Config, 'services' | 'load_roles'>> & {
  services?: ServiceInput[];
  load_roles?: RoleSpec[];
};
