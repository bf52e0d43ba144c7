import type { SpawnerConfig } from '../../config/schema-spawner.ts';
import { SpawnerSchema } from '../../config/schema-spawner.ts';
import { type JsonSchema, validate } from '../../config/validate.ts';
import type { Overrides } from './list.ts';

type Obj = Record<string, unknown>;

/** Settings an override may not change: which spawner runs, and the profiles and overrides themselves. */
const FIXED = new Set(['class', 'profile_list', 'group_overrides', 'options_form']);

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

const propertiesOf = (schema: unknown): Obj => ((schema as { properties?: Obj }).properties ?? {}) as Obj;

/**
 * Where an override key lands in the spawner config: a top-level setting (`mem_limit`, `environment`),
 * a dotted path (`docker.image`), or a bare key of the running class's own section (`image` for docker,
 * `req_memory` for slurm), so KubeSpawner-style profiles read naturally. null: no such setting.
 */
export function settingPath(config: SpawnerConfig, key: string): string[] | null {
  const top = propertiesOf(SpawnerSchema);
  const path = key.split('.');
  if (FIXED.has(path[0]!) || path.some((p) => p === '')) return null;
  if (Object.hasOwn(top, path[0]!)) return path;
  const own =
    config.class === 'docker' || config.class === 'slurm' || config.class === 'kubernetes' ? config.class : null;
  if (path.length === 1 && own && Object.hasOwn(propertiesOf(top[own]), key)) return [own, key];
  return null;
}

/** KubeSpawner's recursive_update: mappings merge, null removes a key, anything else replaces. */
function merge(target: Obj, source: Obj): void {
  for (const [k, v] of Object.entries(source)) {
    if (v === null) delete target[k];
    else if (isObj(v) && isObj(target[k])) merge(target[k] as Obj, v);
    else target[k] = structuredClone(v);
  }
}

function setAt(root: Obj, path: string[], value: unknown): void {
  let node = root;
  for (const key of path.slice(0, -1)) {
    if (!isObj(node[key])) node[key] = {};
    node = node[key] as Obj;
  }
  const leaf = path.at(-1)!;
  if (isObj(value) && isObj(node[leaf])) merge(node[leaf] as Obj, value);
  else node[leaf] = structuredClone(value);
}

/** Why these overrides cannot apply to `config` ('' when they can): unknown keys, then invalid values. */
export function overrideProblem(config: SpawnerConfig, overrides: readonly Overrides[]): string {
  try {
    const out = applyOverrides(config, overrides);
    const problems = validate(SpawnerSchema as unknown as JsonSchema, out, ['spawner']);
    return problems.map((p) => `${p.display}: ${p.kind === 'unknown-key' ? 'not a setting' : p.text}`).join('; ');
  } catch (err) {
    return (err as Error).message;
  }
}

/** The spawner config with the overrides applied in order; throws on a key that names no setting. */
export function applyOverrides(config: SpawnerConfig, overrides: readonly Overrides[]): SpawnerConfig {
  const out = structuredClone(config) as unknown as Obj;
  for (const o of overrides)
    for (const [key, value] of Object.entries(o)) {
      const path = settingPath(config, key);
      if (!path) throw new Error(`${key} is not a setting of the ${config.class} spawner`);
      setAt(out, path, value);
    }
  return out as unknown as SpawnerConfig;
}

/** An unlisted choice's overrides with every `{value}` in their strings replaced by the typed value. */
export function withValue<T>(x: T, value: string): T {
  if (typeof x === 'string') return x.replaceAll('{value}', value) as T;
  if (Array.isArray(x)) return x.map((v) => withValue(v, value)) as T;
  if (isObj(x)) return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, withValue(v, value)])) as T;
  return x;
}
