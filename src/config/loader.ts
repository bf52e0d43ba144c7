import { dirname, resolve } from 'node:path';
import Value from 'typebox/value';
import { withPresetDefaults } from '../authenticators/oauth/presets/index.ts';
import { applyDefaults } from './defaults.ts';
import { envSources } from './env.ts';
import { ConfigError } from './errors.ts';
import type { Problem } from './errors.ts';
import { mergeSource, originOf } from './merge.ts';
import type { Origins } from './merge.ts';
import { readConfigFile } from './read-file.ts';
import { ConfigSchema } from './schema.ts';
import type { Config } from './schema.ts';
import { resolveAllowDefaults, semanticProblems } from './semantic.ts';
import { attachAuthHooks, type AuthenticatorHooks, takeAuthHooks } from './auth-hooks.ts';
import type { ConfigWithHooks } from './define-config.ts';
import { attachHubHooks, type HubHooks, takeHubHooks } from './hub-hooks.ts';
import { attachSpawnerHooks, type SpawnerHooks, takeSpawnerHooks } from './spawner-hooks.ts';
import { validate } from './validate.ts';
import type { JsonSchema } from './validate.ts';

export interface LoadConfigOptions {
  /** The config file (--config); when absent, TSHUB_CONFIG from `env` names it, if set. */
  file?: string | null;
  /** Defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Command-line overrides in the shape of the config, e.g. `{ proxy: { api_url } }`; undefined values are skipped. */
  flags?: Record<string, unknown>;
  /** Where relative file names are resolved; defaults to process.cwd(). */
  cwd?: string;
}

export interface LoadedConfig {
  config: Config;
  /** The absolute path of the file read, or null. */
  file: string | null;
  /** The file's directory (relative sqlite paths resolve against it), or the cwd without a file. */
  baseDir: string;
}

interface Source {
  label: string;
  data: Record<string, unknown>;
}

function render(p: Problem, origins: Origins): string {
  const where = originOf(origins, p.path);
  const at = where === '' ? '' : ` ${where}`;
  return p.kind === 'unknown-key' ? `unknown key "${p.display}"${at}` : `${p.display}${at}: ${p.text}`;
}

interface Hooks {
  spawner: SpawnerHooks;
  authenticator: AuthenticatorHooks;
  hub: HubHooks;
}

/** A config's hook functions apart from its data: spawner, authenticator and top-level hooks. */
function takeAllHooks(raw: Record<string, unknown>, where: string): { data: Record<string, unknown>; hooks: Hooks } {
  const spawner = takeSpawnerHooks(raw, where);
  const authenticator = takeAuthHooks(spawner.data, where);
  const hub = takeHubHooks(authenticator.data, where);
  return { data: hub.data, hooks: { spawner: spawner.hooks, authenticator: authenticator.hooks, hub: hub.hooks } };
}

/** Layers the sources (later wins) over the defaults and validates the result once; hooks come with it. */
function resolveSources(
  sources: readonly Source[],
  hooks: Hooks = { spawner: {}, authenticator: {}, hub: {} },
): Config {
  const merged: Record<string, unknown> = {};
  const origins: Origins = new Map();
  for (const s of sources) mergeSource(merged, s.data, s.label, origins);
  const value = applyDefaults(ConfigSchema, withPresetDefaults(merged));
  let problems = validate(ConfigSchema as unknown as JsonSchema, value);
  if (problems.length === 0) problems = semanticProblems(value as Config);
  if (problems.length > 0) throw new ConfigError(problems.map((p) => render(p, origins)));
  resolveAllowDefaults(value as Config);
  // Our validator and TypeBox's must agree, or code relying on Value.Check(ConfigSchema) would
  // see configs we let through; this only fires on a bug here. Its messages carry no values.
  if (!Value.Check(ConfigSchema, value)) {
    throw new ConfigError(Value.Errors(ConfigSchema, value).map((e) => `${e.instancePath || '/'}: ${e.message}`));
  }
  attachSpawnerHooks((value as Config).spawner, hooks.spawner);
  attachAuthHooks((value as Config).authenticator, hooks.authenticator);
  attachHubHooks(value as Config, hooks.hub);
  return value as Config;
}

/** Reads, layers and validates the configuration: defaults < file < environment < flags. */
export async function loadConfig(opts: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const fromEnv = env.TSHUB_CONFIG;
  // an empty name (e.g. `--config ''`) means no file, like an unset one
  const given = opts.file || fromEnv || null;
  const file = given === null ? null : resolve(cwd, given);
  const sources: Source[] = [];
  let hooks: Hooks | undefined;
  if (file !== null) {
    const how = opts.file ? 'given as the config file' : 'named by TSHUB_CONFIG';
    const label = `in ${file}`;
    const read = takeAllHooks(await readConfigFile(file, how), label);
    hooks = read.hooks;
    sources.push({ label, data: read.data });
  }
  sources.push(...envSources(env));
  if (opts.flags !== undefined) sources.push({ label: 'in command-line flags', data: opts.flags });
  return { config: resolveSources(sources, hooks), file, baseDir: file === null ? cwd : dirname(file) };
}

/**
 * A validated Config from defaults and the given overrides only (no file, no environment):
 * for tests and for embedding the hub. Throws ConfigError like loadConfig.
 */
export function buildConfig(input: ConfigWithHooks = {}): Config {
  const label = 'in the given config';
  const { data, hooks } = takeAllHooks(input as Record<string, unknown>, label);
  return resolveSources([{ label, data }], hooks);
}

/** The defaults alone. */
export function defaultConfig(): Config {
  return buildConfig({});
}
