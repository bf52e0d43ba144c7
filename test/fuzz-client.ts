/**
 * The sending side of the fuzz test: raw HTTP requests (node:http, so paths, methods and headers go out
 * exactly as generated, `..` and duplicates included) and a digest of the database's contents.
 */
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import type { Kysely } from 'kysely';
import type { FuzzRequest } from './fuzz-requests.ts';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface Secrets {
  user: string;
  admin: string;
  cookie: string;
}

/** Sends one request to `base` (the hub's own port); rejects on a dropped connection or a timeout. */
export function send(base: string, r: FuzzRequest, secrets: Secrets, timeoutMs = 15_000): Promise<Answer> {
  const url = new URL(base);
  // Node frames a GET, HEAD, DELETE or OPTIONS body only when told its length: without it the body
  // would reach the hub as the start of a next request.
  const length: [string, string][] = r.body === undefined ? [] : [['content-length', String(r.body.length)]];
  // Headers given as a list get no Host from Node, and HTTP/1.1 refuses a request without one.
  const host: [string, string][] = r.headers.some(([k]) => k === 'host') ? [] : [['host', url.host]];
  return new Promise((resolve, reject) => {
    const req = request({
      host: url.hostname,
      port: url.port,
      method: r.method,
      path: r.path,
      // A connection per request: a refusal may close it, and one answer must not bleed into the next.
      agent: false,
      // An array of pairs keeps duplicates and order, as a hostile client could send them.
      headers: [...host, ...r.headers, ...length].flatMap(([k, v]) => [k, fill(v, secrets)]),
      timeout: timeoutMs,
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.end(r.body);
  });
}

function fill(value: string, s: Secrets): string {
  return value.replace('<user>', s.user).replace('<admin>', s.admin).replace('<user-cookie>', s.cookie);
}

/** Columns that move on their own (activity, the last user's address) and so are left out of the digest. */
const VOLATILE_COLUMNS = new Set(['last_activity', 'last_used_ip']);
/** Tables of records that requests add by design (audit trail, rate-limit state, token usage) or of the migrator. */
const VOLATILE_TABLES = /audit|rate|migration|token_usage/i;

/** A digest of every row of every table but the volatile ones, independent of row order. */
export async function databaseDigest(k: Kysely<any>): Promise<{ digest: string; rows: number }> {
  const tables = (await k.introspection.getTables())
    .filter((t) => !VOLATILE_TABLES.test(t.name))
    .sort((a, b) => a.name.localeCompare(b.name));
  const hash = createHash('sha256');
  let rows = 0;
  for (const t of tables) {
    const list = await k.selectFrom(t.name).selectAll().execute();
    const lines = list
      .map((row) => JSON.stringify(Object.entries(row).filter(([c]) => !VOLATILE_COLUMNS.has(c))))
      .sort();
    hash.update(`${t.name}\n${lines.join('\n')}\n`);
    rows += list.length;
  }
  return { digest: hash.digest('hex'), rows };
}
