// `/api/refusals` of `tshub proxy` (configurable-http-proxy has no such thing): the hub adds the digests
// of tokens it refuses, and reads the proxy's instance id to tell a fresh proxy (empty set) from the one it
// already fed. Entries are only ever added: a refused token never becomes usable again, and each entry
// goes by itself at its `forget_after`.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { type Static, Type } from 'typebox';
import Value from 'typebox/value';
import { MAX_REFUSALS, MAX_RETENTION_MS, type RefusedTokens } from './refused-tokens.ts';

/** Entries in one POST: the hub sends larger sets in several (the body limit is 1 MB). */
export const MAX_BATCH = 4000;

/** The body of `POST /api/refusals`. */
export const RefusalsBody = Type.Object(
  {
    refusals: Type.Array(
      Type.Object(
        {
          digest: Type.String({
            pattern: '^sha256:[0-9a-f]{64}$',
            description: "The token's SHA-256, as the hub stores it.",
          }),
          reason: Type.String({
            pattern: '^token_[a-z_]{1,60}$',
            description: 'What the proxy answers, as the hub would.',
          }),
          forget_after: Type.String({
            format: 'date-time',
            description: 'When to drop the entry (at most a day ahead).',
          }),
        },
        { additionalProperties: false },
      ),
      { maxItems: MAX_BATCH },
    ),
  },
  { additionalProperties: false },
);

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
  if (!Value.Check(RefusalsBody, data)) {
    const [first] = Value.Errors(RefusalsBody, data);
    return invalid(res, `${first?.instancePath || 'body'}: ${first?.message ?? 'invalid'}`);
  }
  const now = Date.now();
  const entries = (data as Static<typeof RefusalsBody>).refusals.map((r) => ({
    digest: r.digest,
    reason: r.reason,
    forgetAfter: Math.min(Date.parse(r.forget_after), now + MAX_RETENTION_MS),
  }));
  refused.add(entries, now);
  log.info({ added: entries.length, size: refused.size }, 'refused tokens added');
  json(res, 200, state());
}
