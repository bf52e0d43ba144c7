import { FORMATS } from './formats.ts';
import { isSecretKey, joinPath, REDACTED, showValue } from './errors.ts';
import type { PathSegment, Problem } from './errors.ts';

// Our own walk over the (JSON Schema) subset the config schema uses. TypeBox's Value.Errors stops
// after a few errors and reports unions branch by branch; an admin wants every problem, once, as
// "key: expected X, got Y". Keywords used: type, properties, required, additionalProperties,
// patternProperties, items (list or tuple), minItems, maxItems, anyOf, const, minimum, maximum,
// patternProperties, propertyNames, exclusiveMinimum, minLength, pattern, format; plus our
// annotations hint, keyHint and secretKeys.

export interface JsonSchema {
  type?: string;
  description?: string;
  default?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  patternProperties?: Record<string, JsonSchema>;
  propertyNames?: JsonSchema;
  items?: JsonSchema | JsonSchema[];
  minItems?: number;
  maxItems?: number;
  anyOf?: JsonSchema[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  pattern?: string;
  format?: string;
  /** How to describe the expected value, instead of one derived from the keywords. */
  hint?: string;
  /** How to describe a valid key of a record. */
  keyHint?: string;
  /** The record's keys are secrets (api_tokens): never print them. */
  secretKeys?: boolean;
}

interface Cursor {
  path: PathSegment[];
  display: string;
  /** Whether this value must not be shown. */
  secret: boolean;
  /** Below a record whose keys are secrets: everything is secret. */
  forced: boolean;
}

const plural: Record<string, string> = {
  string: 'strings',
  integer: 'integers',
  number: 'numbers',
  boolean: 'booleans',
  object: 'mappings',
};

/** "expected ..." text for a schema. */
export function describe(s: JsonSchema): string {
  if (s.hint !== undefined) return s.hint;
  if (s.anyOf !== undefined) {
    const branches = s.anyOf;
    if (branches.every((b) => 'const' in b)) return `one of ${branches.map((b) => JSON.stringify(b.const)).join(', ')}`;
    return branches.map(describe).join(' or ');
  }
  if ('const' in s) return JSON.stringify(s.const);
  switch (s.type) {
    case 'string':
      if (s.format !== undefined) return FORMATS[s.format]?.hint ?? `a ${s.format} string`;
      if (s.pattern !== undefined) return `a string matching /${s.pattern}/`;
      if (s.minLength !== undefined && s.minLength > 1) return `a string of at least ${s.minLength} characters`;
      if (s.minLength === 1) return 'a non-empty string';
      return 'a string';
    case 'integer':
    case 'number': {
      const noun = s.type === 'integer' ? 'an integer' : 'a number';
      const bounds: string[] = [];
      if (s.minimum !== undefined) bounds.push(`>= ${s.minimum}`);
      if (s.exclusiveMinimum !== undefined) bounds.push(`> ${s.exclusiveMinimum}`);
      if (s.maximum !== undefined) bounds.push(`<= ${s.maximum}`);
      return bounds.length === 0 ? noun : `${noun} ${bounds.join(' and ')}`;
    }
    case 'boolean':
      return 'true or false';
    case 'null':
      return 'null';
    case 'array': {
      const items = s.items;
      const noun =
        items !== undefined && !Array.isArray(items) && items.type !== undefined ? plural[items.type] : undefined;
      const list = noun === undefined ? 'a list' : `a list of ${noun}`;
      return s.minItems !== undefined && s.minItems > 0 ? `a non-empty ${list.slice(2)}` : list;
    }
    case 'object':
      return 'a mapping';
    default:
      return 'any value';
  }
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeAccepts(s: JsonSchema, v: unknown): boolean {
  if ('const' in s) return s.const === v;
  const t = jsonType(v);
  if (s.type === undefined) return true;
  if (s.type === 'number') return t === 'number' || t === 'integer';
  if (s.type === 'object') return t === 'object' && isPlainObject(v);
  return s.type === t;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Inside a section with declared keys, each key is judged by its own name (tokens.max_active_per_user
 * is no secret); inside lists and free-form mappings, secrecy passes down from the parent.
 */
function child(c: Cursor, key: PathSegment, declared: boolean, secretKeys = false): Cursor {
  const forced = c.forced || secretKeys;
  return {
    path: [...c.path, key],
    display: joinPath(c.display, key, secretKeys),
    secret: forced || isSecretKey(key) || (!declared && c.secret),
    forced,
  };
}

function invalid(out: Problem[], c: Cursor, s: JsonSchema, v: unknown): void {
  out.push({
    path: c.path,
    display: c.display,
    kind: 'invalid',
    text: `expected ${describe(s)}, got ${showValue(v, c.secret)}`,
  });
}

function walk(s: JsonSchema, v: unknown, c: Cursor, out: Problem[]): void {
  if (s.anyOf !== undefined) return walkUnion(s, v, c, out);
  if (!typeAccepts(s, v)) return invalid(out, c, s, v);
  switch (s.type) {
    case 'object':
      return walkObject(s, v as Record<string, unknown>, c, out);
    case 'array':
      return walkArray(s, v as unknown[], c, out);
    case 'string': {
      const str = v as string;
      const bad =
        (s.minLength !== undefined && str.length < s.minLength) ||
        (s.pattern !== undefined && !new RegExp(s.pattern, 'u').test(str)) ||
        (s.format !== undefined && FORMATS[s.format]?.check(str) === false);
      if (bad) invalid(out, c, s, v);
      return;
    }
    case 'integer':
    case 'number': {
      const n = v as number;
      const bad =
        !Number.isFinite(n) ||
        (s.minimum !== undefined && n < s.minimum) ||
        (s.maximum !== undefined && n > s.maximum) ||
        (s.exclusiveMinimum !== undefined && n <= s.exclusiveMinimum);
      if (bad) invalid(out, c, s, v);
      return;
    }
  }
}

function walkUnion(s: JsonSchema, v: unknown, c: Cursor, out: Problem[]): void {
  const branches = s.anyOf ?? [];
  if (branches.some((b) => check(b, v))) return;
  // When only one branch has the value's type (e.g. the list in "null or a list of ports"),
  // problems inside it (a bad item) are more useful than "expected X or null".
  const typed = branches.filter((b) => typeAccepts(b, v) && !('const' in b));
  const only = typed[0];
  if (typed.length === 1 && only !== undefined && (only.type === 'object' || only.type === 'array')) {
    const inner: Problem[] = [];
    walk(only, v, c, inner);
    if (inner.every((p) => p.path.length > c.path.length)) {
      out.push(...inner);
      return;
    }
  }
  invalid(out, c, s, v);
}

function walkObject(s: JsonSchema, v: Record<string, unknown>, c: Cursor, out: Problem[]): void {
  const props = s.properties ?? {};
  for (const key of s.required ?? []) {
    if (v[key] === undefined) {
      const k = child(c, key, true);
      out.push({
        path: k.path,
        display: k.display,
        kind: 'invalid',
        text: `is missing (expected ${describe(props[key] ?? {})})`,
      });
    }
  }
  for (const [key, value] of Object.entries(v)) {
    if (value === undefined) continue;
    const prop = props[key];
    if (prop !== undefined) {
      walk(prop, value, child(c, key, true), out);
      continue;
    }
    const secretKeys = s.secretKeys === true;
    if (s.propertyNames !== undefined && !check(s.propertyNames, key)) {
      const shownKey = secretKeys ? REDACTED : JSON.stringify(key);
      // the key is the secret; its value (api_tokens: the user) tells the admin which entry it is
      const forValue = secretKeys ? ` (given for ${showValue(value, false)})` : '';
      const expected = s.keyHint ?? describe(s.propertyNames);
      out.push({
        path: c.path,
        display: c.display,
        kind: 'invalid',
        text: `invalid key ${shownKey}${forValue}: expected ${expected}`,
      });
      continue;
    }
    const match = Object.entries(s.patternProperties ?? {}).find(([p]) => new RegExp(p, 'u').test(key));
    if (match !== undefined) {
      walk(match[1], value, child(c, key, false, secretKeys), out);
    } else if (typeof s.additionalProperties === 'object') {
      walk(s.additionalProperties, value, child(c, key, false, secretKeys), out);
    } else if (s.additionalProperties === false) {
      const k = child(c, key, false);
      out.push({ path: k.path, display: k.display, kind: 'unknown-key', text: '' });
    }
  }
}

function walkArray(s: JsonSchema, v: unknown[], c: Cursor, out: Problem[]): void {
  const tooShort = s.minItems !== undefined && v.length < s.minItems;
  const tooLong = s.maxItems !== undefined && v.length > s.maxItems;
  if (Array.isArray(s.items)) {
    // a tuple: its length is part of its type
    if (tooShort || tooLong || v.length !== s.items.length) return invalid(out, c, s, v);
    for (const [i, item] of s.items.entries()) walk(item, v[i], child(c, i, false), out);
    return;
  }
  if (tooShort || tooLong) invalid(out, c, s, v);
  const items = s.items;
  if (items !== undefined) for (const [i, item] of v.entries()) walk(items, item, child(c, i, false), out);
}

/** Every problem with `value` against `schema`, in schema order. */
export function validate(schema: JsonSchema, value: unknown, root: PathSegment[] = []): Problem[] {
  const out: Problem[] = [];
  const display = root.reduce<string>((d, s) => joinPath(d, s), '');
  walk(schema, value, { path: root, display, secret: false, forced: false }, out);
  return out;
}

export function check(schema: JsonSchema, value: unknown): boolean {
  return validate(schema, value).length === 0;
}
