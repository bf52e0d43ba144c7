import { ConfigError } from './errors.ts';
import { isPlainObject } from './validate.ts';

// Hooks are code, not config data: they stay out of the schema (and out of the generated config file),
// keyed by the validated section they came with, and travel with the config to whoever runs them.
const attached = new WeakMap<object, object>();

/**
 * Splits the hook functions named by `keys` out of section `name` of a config (which is not changed);
 * a hook that is not a function is a ConfigError.
 */
export function takeHooks<H extends object>(
  data: Record<string, unknown>,
  name: string,
  keys: readonly string[],
  where: string,
): { data: Record<string, unknown>; hooks: H } {
  const section = data[name];
  if (!isPlainObject(section) || !keys.some((k) => k in section)) return { data, hooks: {} as H };
  const rest: Record<string, unknown> = { ...section };
  const hooks: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const key of keys) {
    if (!(key in rest)) continue;
    const fn = rest[key];
    delete rest[key];
    if (fn === undefined || fn === null) continue;
    if (typeof fn === 'function') hooks[key] = fn;
    else
      problems.push(`${name}.${key} ${where}: must be a function (hooks can only be set in a .ts, .mjs or .js config)`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { data: { ...data, [name]: rest }, hooks: hooks as H };
}

export function attachHooks(section: object, hooks: object): void {
  if (Object.keys(hooks).length > 0) attached.set(section, hooks);
}

/** The hooks the config with this section was loaded with; none for a config without. */
export function hooksOf<H extends object>(section: object): H {
  return (attached.get(section) ?? {}) as H;
}
