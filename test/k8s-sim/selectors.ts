// Label selectors (=, ==, !=, in, notin, exists, !exists, gt, lt) and field selectors (=, ==, !=) as the API
// server parses them from `labelSelector` / `fieldSelector`; a malformed one is a 400 like the server's.
import { badRequest } from './status.ts';
import type { Obj } from './store.ts';

export type Labels = Record<string, string> | undefined;
export type LabelMatch = (labels: Labels) => boolean;
export type FieldMatch = (obj: Obj) => boolean;

const KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/** Splits on commas outside parentheses: `a in (x,y),b` → [`a in (x,y)`, `b`]. */
function requirements(selector: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      out.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  out.push(selector.slice(start));
  return out.map((r) => r.trim());
}

function parseError(requirement: string, why: string): Error {
  return badRequest(`unable to parse requirement: ${why} in "${requirement}"`);
}

function checkKey(key: string, req: string): string {
  if (!KEY.test(key) || key.length > 316) throw parseError(req, `invalid label key "${key}"`);
  return key;
}

function checkValue(value: string, req: string): string {
  if (!VALUE.test(value) || value.length > 63) throw parseError(req, `invalid label value: "${value}"`);
  return value;
}

function labelRequirement(req: string): LabelMatch {
  if (req === '') throw parseError(req, 'found empty requirement');
  const set = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(req);
  if (set) {
    const key = checkKey(set[1]!, req);
    const values = new Set(set[3]!.split(',').map((v) => checkValue(v.trim(), req)));
    return set[2] === 'in'
      ? (l) => l?.[key] !== undefined && values.has(l[key])
      : (l) => l?.[key] === undefined || !values.has(l[key]);
  }
  const op = /^([^=!<>\s]+)\s*(==|=|!=|>|<)\s*(.*)$/.exec(req);
  if (op) {
    const key = checkKey(op[1]!, req);
    const value = op[3]!.trim();
    if (op[2] === '>' || op[2] === '<') {
      const n = Number(value);
      if (!Number.isInteger(n)) throw parseError(req, `for 'Gt', 'Lt' operators, the value must be an integer`);
      return op[2] === '>' ? (l) => Number(l?.[key]) > n : (l) => Number(l?.[key]) < n;
    }
    checkValue(value, req);
    return op[2] === '!=' ? (l) => l?.[key] !== value : (l) => l?.[key] === value;
  }
  if (req.startsWith('!')) {
    const key = checkKey(req.slice(1).trim(), req);
    return (l) => l?.[key] === undefined;
  }
  const key = checkKey(req, req);
  return (l) => l?.[key] !== undefined;
}

/** A predicate over an object's labels; everything matches an absent or empty selector. */
export function parseLabelSelector(selector: string | null): LabelMatch {
  if (selector === null || selector.trim() === '') return () => true;
  const all = requirements(selector).map(labelRequirement);
  return (labels) => all.every((m) => m(labels));
}

type Getter = (o: Obj) => unknown;

const META: Record<string, Getter> = {
  'metadata.name': (o) => o.metadata.name,
  'metadata.namespace': (o) => o.metadata.namespace,
};

/** The fields each resource can be selected by, as the real server registers them. */
const FIELDS: Record<string, Record<string, Getter>> = {
  pods: {
    'spec.nodeName': (o) => o.spec?.nodeName,
    'spec.restartPolicy': (o) => o.spec?.restartPolicy,
    'spec.schedulerName': (o) => o.spec?.schedulerName,
    'spec.serviceAccountName': (o) => o.spec?.serviceAccountName,
    'status.phase': (o) => o.status?.phase,
    'status.podIP': (o) => o.status?.podIP,
    'status.nominatedNodeName': (o) => o.status?.nominatedNodeName,
  },
  events: {
    'involvedObject.kind': (o) => o.involvedObject?.kind,
    'involvedObject.namespace': (o) => o.involvedObject?.namespace,
    'involvedObject.name': (o) => o.involvedObject?.name,
    'involvedObject.uid': (o) => o.involvedObject?.uid,
    'involvedObject.apiVersion': (o) => o.involvedObject?.apiVersion,
    'involvedObject.resourceVersion': (o) => o.involvedObject?.resourceVersion,
    'involvedObject.fieldPath': (o) => o.involvedObject?.fieldPath,
    reason: (o) => o.reason,
    reportingComponent: (o) => o.reportingComponent,
    source: (o) => o.source?.component,
    type: (o) => o.type,
  },
  secrets: { type: (o) => o.type },
  namespaces: { 'status.phase': (o) => o.status?.phase },
  persistentvolumeclaims: {},
};

/** A predicate over an object's fields; an unknown field is a 400 `field label not supported`. */
export function parseFieldSelector(resource: string, selector: string | null): FieldMatch {
  if (selector === null || selector.trim() === '') return () => true;
  const tests = selector.split(',').map((req): FieldMatch => {
    const m = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(req.trim());
    if (!m) throw badRequest(`invalid selector: '${selector}'; can't understand '${req}'`);
    const field = m[1]!;
    const get = META[field] ?? FIELDS[resource]?.[field];
    if (!get) throw badRequest(`field label not supported: ${field}`);
    const value = m[3]!.trim();
    return m[2] === '!=' ? (o) => String(get(o) ?? '') !== value : (o) => String(get(o) ?? '') === value;
  });
  return (o) => tests.every((t) => t(o));
}
