// `/api/refusals` of `tshub proxy` (configurable-http-proxy has no such thing): the hub adds the digests
// of tokens it refuses, and reads the proxy's instance id to tell a fresh proxy (empty set) from the one it
// already fed. Entries are only ever added: a refused token never becomes usable again, and each entry
// goes by itself at its `forget_after`.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { MAX_REFUSALS, RefusalError, type Refusal, type RefusedTokens, validRefusal } from './refused-tokens.ts';

/** Entries in one POST: the hub sends larger sets in several (the body limit is 1 MB). */
export const MAX_BATCH = 4000;

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
  const list = (data as { refusals?: unknown } | null)?.refusals;
  if (!Array.isArray(list)) return invalid(res, "Must specify 'refusals' as a list");
  if (list.length > MAX_BATCH) return invalid(res, `At most ${MAX_BATCH} refusals per request`);
  const now = Date.now();
  const entries: Refusal[] = [];
  for (const [i, item] of list.entries()) {
    try {
      entries.push(validRefusal(item, now));
    } catch (e) {
      if (e instanceof RefusalError) return invalid(res, `refusals[${i}]: ${e.message}`);
      throw e;
    }
  }
  refused.add(entries, now);
  log.info({ added: entries.length, size: refused.size }, 'refused tokens added');
  json(res, 200, state());
}
