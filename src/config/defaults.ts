import Value from 'typebox/value';
import type { TSchema } from 'typebox';
import { check, isPlainObject } from './validate.ts';
import type { JsonSchema } from './validate.ts';

// A YAML key left empty (`proxy:` with everything under it commented out) reads as null. Where
// null is not a valid value but there is a default, that means "use the default".
function dropEmpty(s: JsonSchema, v: unknown): void {
  if (Array.isArray(v)) {
    const items = s.items;
    if (items !== undefined && !Array.isArray(items)) for (const item of v) dropEmpty(items, item);
    return;
  }
  if (!isPlainObject(v)) return;
  const patterns = Object.entries(s.patternProperties ?? {});
  for (const [k, child] of Object.entries(v)) {
    const prop = s.properties?.[k] ?? patterns.find(([p]) => new RegExp(p, 'u').test(k))?.[1];
    if (prop === undefined) continue;
    if (child === null && prop.default !== undefined && !check(prop, null)) delete v[k];
    else dropEmpty(prop, child);
  }
}

/** Fills in defaults (mutating and returning `value`); the result still needs validating. */
export function applyDefaults(schema: TSchema, value: Record<string, unknown>): unknown {
  dropEmpty(schema as JsonSchema, value);
  return Value.Default(schema, value);
}
