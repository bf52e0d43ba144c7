// `/api/bindings` of `tshub proxy`: the hub replaces the set of token bindings (src/proxy/server/bindings.ts)
// in one or more parts, `{"bindings": [{"digest", "allowed_cidrs", "not_before"}], "first": bool, "last": bool}`,
// and reads the proxy's instance to tell a fresh proxy (no bindings) from the one it fed.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { canonicalCidr, MAX_CIDRS, type TokenBinding } from '../../tokens/binding.ts';
import { MAX_BINDINGS, type TokenBindings } from './bindings.ts';

/** Entries in one POST (the body limit is 1 MB). */
export const MAX_BINDING_BATCH = 2000;

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;
const KEYS = new Set(['digest', 'allowed_cidrs', 'not_before']);
const TOP = new Set(['bindings', 'first', 'last']);

interface Part {
  entries: [string, TokenBinding][];
  first: boolean;
  last: boolean;
}

function entryOf(item: unknown, at: string): [string, TokenBinding] | string {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return `${at} must be an object`;
  const e = item as Record<string, unknown>;
  const unknown = Object.keys(e).find((k) => !KEYS.has(k));
  if (unknown) return `${at}: unknown key '${unknown}'`;
  if (typeof e.digest !== 'string' || !DIGEST.test(e.digest)) return `${at}.digest must be sha256:<64 hex>`;
  const cidrs = e.allowed_cidrs;
  if (!Array.isArray(cidrs) || cidrs.length > MAX_CIDRS) return `${at}.allowed_cidrs must be a list of CIDRs`;
  const allowedCidrs: string[] = [];
  for (const c of cidrs) {
    const canonical = typeof c === 'string' ? canonicalCidr(c) : null;
    if (canonical === null) return `${at}.allowed_cidrs: not a CIDR`;
    allowedCidrs.push(canonical);
  }
  const nb = e.not_before ?? null;
  if (nb !== null && (typeof nb !== 'string' || !ISO.test(nb) || !Number.isFinite(Date.parse(nb))))
    return `${at}.not_before must be an ISO 8601 time or null`;
  return [e.digest, { allowedCidrs, notBefore: nb as string | null }];
}

/** The part a valid body carries, or what is wrong with it. */
export function parseBindings(data: unknown): Part | string {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return 'the body must be an object';
  const extra = Object.keys(data).find((k) => !TOP.has(k));
  if (extra) return `unknown key '${extra}'`;
  const { bindings: list, first = true, last = true } = data as Record<string, unknown>;
  if (!Array.isArray(list)) return "'bindings' must be a list";
  if (list.length > MAX_BINDING_BATCH) return `at most ${MAX_BINDING_BATCH} bindings per request`;
  if (typeof first !== 'boolean' || typeof last !== 'boolean') return "'first' and 'last' must be booleans";
  const entries: [string, TokenBinding][] = [];
  for (const [i, item] of list.entries()) {
    const e = entryOf(item, `bindings[${i}]`);
    if (typeof e === 'string') return e;
    entries.push(e);
  }
  return { entries, first, last };
}

function json(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

export function bindingsApi(
  bindings: TokenBindings,
  log: Logger,
  req: IncomingMessage,
  res: ServerResponse,
  body: string | null,
): void {
  const state = () => ({ instance: bindings.instance, size: bindings.size, max: MAX_BINDINGS });
  if (req.method === 'GET') return json(res, 200, state());
  if (req.method !== 'POST') return json(res, 405, { status: 405, message: 'Method not supported' });
  if (body === null) return json(res, 413, { status: 413, message: 'Body larger than 1 MB' });
  let part: Part | string;
  try {
    part = parseBindings(JSON.parse(body));
  } catch {
    part = 'Body not valid JSON';
  }
  if (typeof part === 'string') return json(res, 400, { status: 400, message: part, reason: 'invalid_request' });
  if (!bindings.receive(part.entries, part.first, part.last))
    return json(res, 409, { status: 409, message: 'A later part of a set whose first part was not sent' });
  if (part.last) log.info({ size: bindings.size }, 'token bindings replaced');
  json(res, 200, state());
}
