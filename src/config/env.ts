import { createRequire } from 'node:module';
import type * as yamlModule from 'yaml';
import { ConfigSchema } from './schema.ts';
import { check } from './validate.ts';
import type { JsonSchema } from './validate.ts';

// Environment overrides: TSHUB_<KEY> for top-level keys (TSHUB_DB_URL) and TSHUB_<SECTION>__<KEY>
// for keys of a section (TSHUB_PROXY__API_URL). Other TSHUB_ variables are left alone: the hub
// and its tools may use some for other purposes (TSHUB_CONFIG names the file).

export interface EnvSource {
  label: string;
  data: Record<string, unknown>;
}

const PREFIX = 'TSHUB_';

/**
 * Reads a value the way YAML would (so `true` is a boolean and `[a, b]` a list), but keeps the
 * text as written where the key wants a string: a token "12345678" must stay a string, and
 * "abc #1" must not lose its tail to a YAML comment.
 */
export function parseEnvValue(raw: string, schema: JsonSchema): unknown {
  let parsed: unknown;
  try {
    // Loaded when a TSHUB_ variable is set: the parser is ~70 modules most hubs have no use for.
    parsed = (createRequire(import.meta.url)('yaml') as typeof yamlModule).parse(raw);
  } catch {
    return raw;
  }
  if (typeof parsed === 'string') return /^\s*["']/.test(raw) ? parsed : raw;
  if (check(schema, parsed)) return parsed;
  if (check(schema, raw)) return raw;
  return parsed;
}

function isSection(s: JsonSchema): boolean {
  return s.type === 'object' && s.properties !== undefined;
}

/** One source per variable found, sections before their keys so that the more specific one wins. */
export function envSources(env: NodeJS.ProcessEnv): EnvSource[] {
  const out: EnvSource[] = [];
  const add = (name: string, schema: JsonSchema, wrap: (v: unknown) => Record<string, unknown>): void => {
    const raw = env[name];
    // empty counts as unset, as container tools often pass variables through empty
    if (raw === undefined || raw === '') return;
    out.push({ label: `in environment variable ${name}`, data: wrap(parseEnvValue(raw, schema)) });
  };
  const top = (ConfigSchema as unknown as JsonSchema).properties ?? {};
  for (const [key, schema] of Object.entries(top)) {
    add(PREFIX + key.toUpperCase(), schema, (v) => ({ [key]: v }));
  }
  for (const [key, schema] of Object.entries(top)) {
    if (!isSection(schema)) continue;
    for (const [sub, subSchema] of Object.entries(schema.properties ?? {})) {
      add(`${PREFIX}${key.toUpperCase()}__${sub.toUpperCase()}`, subSchema, (v) => ({ [key]: { [sub]: v } }));
    }
  }
  return out;
}
