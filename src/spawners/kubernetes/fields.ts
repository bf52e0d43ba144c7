import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// The API server drops fields it does not know (or, with strict validation, refuses the whole pod), so a
// misspelt key in extra_pod_config would silently do nothing. Every object is checked here, before it is
// sent, against the API's own field lists: api-fields.json, generated from the Kubernetes client's models by
// scripts/k8s-api-fields.mjs (a table of fields, so the hub never loads the client and its ~85 MB).

/** Beside the sources in src/spawners/kubernetes/ whether this module runs from there or compiled from dist/. */
const TABLE_FILE = join(import.meta.dirname, '..', '..', '..', 'src', 'spawners', 'kubernetes', 'api-fields.json');

let table: Record<string, Record<string, string>> | null = null;
const fieldsOf = (type: string) => {
  table ??= JSON.parse(readFileSync(TABLE_FILE, 'utf8')) as Record<string, Record<string, string>>;
  return table[type];
};

const PRIMITIVE: Record<string, (v: unknown) => boolean> = {
  string: (v) => typeof v === 'string',
  number: (v) => typeof v === 'number',
  boolean: (v) => typeof v === 'boolean',
  Date: (v) => typeof v === 'string' || v instanceof Date,
  IntOrString: (v) => typeof v === 'string' || typeof v === 'number',
  any: () => true,
  object: () => true,
};

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Where `value` does not fit the API type `type` (a client model name such as "V1Pod"): unknown fields
 * and values of the wrong kind, as "spec.containers[0].imagePullPolcy: not a field of V1Container".
 */
export function fieldProblems(value: unknown, type: string, path = ''): string[] {
  const where = path || '(top)';
  const list = /^Array<(.+)>$/.exec(type);
  if (list) {
    if (!Array.isArray(value)) return [`${where}: a list is expected`];
    return value.flatMap((v, i) => fieldProblems(v, list[1]!, `${path}[${i}]`));
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    if (!isObj(value)) return [`${where}: a mapping is expected`];
    return Object.entries(value).flatMap(([k, v]) => fieldProblems(v, map[1]!, `${path}[${JSON.stringify(k)}]`));
  }
  const primitive = PRIMITIVE[type];
  if (primitive) return primitive(value) ? [] : [`${where}: ${JSON.stringify(value)} is not a ${type}`];
  const fields = fieldsOf(type);
  if (fields === undefined) return [];
  if (!isObj(value)) return [`${where}: a mapping (${type.replace(/^V1/, '')}) is expected`];
  const problems: string[] = [];
  for (const [key, v] of Object.entries(value)) {
    const t = Object.hasOwn(fields, key) ? fields[key] : undefined;
    const at = path ? `${path}.${key}` : key;
    if (t === undefined) problems.push(`${at}: not a field of ${type.replace(/^V1/, '')}`);
    else if (v !== null && v !== undefined) problems.push(...fieldProblems(v, t, at));
  }
  return problems;
}
