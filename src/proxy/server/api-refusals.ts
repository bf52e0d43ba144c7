// `/api/refusals` of `tshub proxy` (configurable-http-proxy has no such thing): the hub adds the digests
// of tokens it refuses, and reads the proxy's instance id to tell a fresh proxy (empty set) from the one it
// already fed. Entries are only ever added: a refused token never becomes usable again, and each entry
// goes by itself at its `forget_after`.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { MAX_REFUSALS, MAX_RETENTION_MS, type Refusal, type RefusedTokens } from './refused-tokens.ts';

/** Entries in one POST: the hub sends larger sets in several (the body limit is 1 MB). */
export const MAX_BATCH = 4000;

// The body, `{"refusals": [{"digest", "reason", "forget_after"}]}`, is checked by hand rather than with
// TypeBox: loading it would add about a second to the proxy's start under load, and the shape is this small.
const DIGEST = /^sha256:[0-9a-f]{64}$/;
const REASON = /^token_[a-z_]{1,60}$/;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;
const KEYS = new Set(['digest', 'reason', 'forget_after']);

/** The entries of a valid body, or what is wrong with it. */
export function parseRefusals(data: unknown, now: number): Refusal[] | string {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return 'the body must be an object';
  const extra = Object.keys(data).find((k) => k !== 'refusals');
  if (extra) return `unknown key '${extra}'`;
  const list = (data as { refusals?: unknown }).refusals;
  if (!Array.isArray(list)) return "'refusals' must be a list";
  if (list.length > MAX_BATCH) return `at most ${MAX_BATCH} refusals per request`;
  const out: Refusal[] = [];
  for (const [i, item] of list.entries()) {
    const at = `refusals[${i}]`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return `${at} must be an object`;
    const e = item as Record<string, unknown>;
    const unknown = Object.keys(e).find((k) => !KEYS.has(k));
    if (unknown) return `${at}: unknown key '${unknown}'`;
    if (typeof e.digest !== 'string' || !DIGEST.test(e.digest)) return `${at}.digest must be sha256:<64 hex>`;
    if (typeof e.reason !== 'string' || !REASON.test(e.reason)) return `${at}.reason must be token_<a-z_>`;
    const when =
      typeof e.forget_after === 'string' && ISO.test(e.forget_after) ? Date.parse(e.forget_after) : Number.NaN;
    if (!Number.isFinite(when)) return `${at}.forget_after must be an ISO 8601 time`;
    out.push({ digest: e.digest, reason: e.reason, forgetAfter: Math.min(when, now + MAX_RETENTION_MS) });
  }
  return out;
}

function json(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

function invalid(res: ServerResponse, message: string): void {
  json(res, 400, { status: 400, message, reason: 'invalid_request' });
}

export function refusalsApi(
  refused: RefusedTokens,
  log: Logger,
  req: IncomingMessage,
  res: ServerResponse,
  body: string | null,
): void {
  const state = () => ({ instance: refused.instance, size: refused.size, max: MAX_REFUSALS });
  if (req.method === 'GET') return json(res, 200, state());
  if (req.method !== 'POST') return json(res, 405, { status: 405, message: 'Method not supported' });
  if (body === null) return json(res, 413, { status: 413, message: 'Body larger than 1 MB' });
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch {
    return invalid(res, 'Body not valid JSON');
  }
  const now = Date.now();
  const entries = parseRefusals(data, now);
  if (typeof entries === 'string') return invalid(res, entries);
  refused.add(entries, now);
  log.info({ added: entries.length, size: refused.size }, 'refused tokens added');
  json(res, 200, state());
}
