// The three PATCH bodies the API server takes for core objects: JSON Patch (RFC 6902, the client's default
// content type), JSON Merge Patch (RFC 7386), and strategic merge patch, simulated as a merge patch in which
// lists of named objects (containers, env, volumes, ports, …) merge by `name` and `$patch: delete` removes.
import { ApiError, badRequest } from './status.ts';

type Json = any;

const isObject = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw badRequest(`invalid JSON pointer: ${path}`);
  return path
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: Json, parts: string[], op: string): [Json, string] {
  let node = doc;
  for (const p of parts.slice(0, -1)) {
    node = Array.isArray(node) ? node[Number(p)] : node?.[p];
    if (node === undefined || node === null)
      throw new ApiError(
        422,
        'Invalid',
        `the server rejected our request due to an error in our request: ${op}: missing path`,
      );
  }
  return [node, parts[parts.length - 1]!];
}

function jsonPatch(doc: Json, ops: Json): Json {
  if (!Array.isArray(ops)) throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  const out = structuredClone(doc);
  for (const o of ops) {
    const parts = pointer(String(o.path ?? ''));
    if (parts.length === 0) throw badRequest('the root of a document cannot be patched');
    const [parent, key] = parentOf(out, parts, o.op);
    const missing = () =>
      new ApiError(
        422,
        'Invalid',
        `the server rejected our request due to an error in our request: ${o.op} operation does not apply: doc is missing path: "${o.path}"`,
      );
    switch (o.op) {
      case 'add':
        if (Array.isArray(parent)) parent.splice(key === '-' ? parent.length : Number(key), 0, o.value);
        else parent[key] = o.value;
        break;
      case 'replace':
        if (!(key in parent)) throw missing();
        parent[key] = o.value;
        break;
      case 'remove':
        if (!(key in parent)) throw missing();
        if (Array.isArray(parent)) parent.splice(Number(key), 1);
        else delete parent[key];
        break;
      case 'test':
        if (JSON.stringify(parent[key]) !== JSON.stringify(o.value))
          throw new ApiError(
            422,
            'Invalid',
            `the server rejected our request due to an error in our request: testing value ${o.path} failed`,
          );
        break;
      default:
        throw badRequest(`unexpected kind of operation: ${o.op}`);
    }
  }
  return out;
}

function mergePatch(target: Json, patch: Json, strategic: boolean): Json {
  if (!isObject(patch)) return patch;
  const out: Record<string, Json> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k.startsWith('$setElementOrder/')) continue;
    if (v === null) delete out[k];
    else if (strategic && Array.isArray(v) && Array.isArray(out[k]) && v.every((e) => isObject(e) && 'name' in e))
      out[k] = mergeByName(out[k], v);
    else out[k] = mergePatch(out[k], v, strategic);
  }
  return out;
}

function mergeByName(list: Json[], patch: Json[]): Json[] {
  const out = [...list];
  for (const p of patch) {
    const i = out.findIndex((e) => isObject(e) && e.name === p.name);
    if (p.$patch === 'delete') {
      if (i >= 0) out.splice(i, 1);
    } else if (i >= 0) out[i] = mergePatch(out[i], p, true);
    else out.push(mergePatch({}, p, true));
  }
  return out;
}

/** The object after `patch`, by the request's Content-Type (one of the three; the server checked). */
export function applyPatch(doc: Json, contentType: string, patch: Json): Json {
  const type = contentType.split(';')[0]!.trim();
  if (type === 'application/json-patch+json') return jsonPatch(doc, patch);
  if (!isObject(patch)) throw badRequest('the patch must be a JSON object');
  return mergePatch(doc, patch, type === 'application/strategic-merge-patch+json');
}
