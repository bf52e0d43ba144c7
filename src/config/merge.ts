import type { PathSegment } from './errors.ts';
import { isPlainObject } from './validate.ts';

// Layering of config sources. Objects merge key by key; anything else (lists included) replaces.
// Each key remembers which source set it last, so an error can say where to fix it.

/** Key path -> where it was set, e.g. "in /etc/tshub.yaml" or "in environment variable TSHUB_DB_URL". */
export type Origins = Map<string, string>;

const SEP = '\u0000';
const pathKey = (path: readonly PathSegment[]): string => path.join(SEP);

function clonePlain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(clonePlain);
  if (isPlainObject(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = clonePlain(x);
    return out;
  }
  return v;
}

function forgetBelow(origins: Origins, path: readonly PathSegment[]): void {
  const prefix = pathKey(path) + SEP;
  for (const k of origins.keys()) if (k.startsWith(prefix)) origins.delete(k);
}

/** Merges `source` into `target` (mutating it). Keys whose value is undefined are skipped. */
export function mergeSource(
  target: Record<string, unknown>,
  source: Record<string, unknown>,
  label: string,
  origins: Origins,
  path: PathSegment[] = [],
): void {
  for (const [k, v] of Object.entries(source)) {
    if (v === undefined) continue;
    const p = [...path, k];
    origins.set(pathKey(p), label);
    const current = target[k];
    if (isPlainObject(v) && isPlainObject(current)) {
      mergeSource(current, v, label, origins, p);
    } else {
      forgetBelow(origins, p);
      target[k] = clonePlain(v);
    }
  }
}

/** Where the value at `path` (or its nearest parent) came from; '' for defaults. */
export function originOf(origins: Origins, path: readonly PathSegment[]): string {
  for (let n = path.length; n > 0; n--) {
    const label = origins.get(pathKey(path.slice(0, n)));
    if (label !== undefined) return label;
  }
  return '';
}
