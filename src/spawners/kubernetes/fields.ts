import * as k8s from '@kubernetes/client-node';

// The API server drops fields it does not know (or, with strict validation, refuses the whole pod), so a
// misspelt key in extra_pod_config would silently do nothing. Every object is checked here against the
// client's own model of the API (each model class lists its fields and their types) before it is sent.

interface Attribute {
  baseName: string;
  type: string;
}

type Model = { getAttributeTypeMap(): Attribute[] };

const models = k8s as unknown as Record<string, Model | undefined>;

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
  const model = models[type];
  if (model === undefined || typeof model.getAttributeTypeMap !== 'function') return [];
  if (!isObj(value)) return [`${where}: a mapping (${type.replace(/^V1/, '')}) is expected`];
  const attrs = new Map(model.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
  const problems: string[] = [];
  for (const [key, v] of Object.entries(value)) {
    const t = attrs.get(key);
    const at = path ? `${path}.${key}` : key;
    if (t === undefined) problems.push(`${at}: not a field of ${type.replace(/^V1/, '')}`);
    else if (v !== null && v !== undefined) problems.push(...fieldProblems(v, t, at));
  }
  return problems;
}
