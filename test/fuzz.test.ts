/**
 * Hostile input to every route (from the served OpenAPI document and the hub's own route list):
 * thousands of generated requests with odd paths, junk queries, broken or wrong-typed bodies, abused
 * headers and odd methods, sent as nobody, a plain user (token and login cookie) and an admin. None may
 * get a 5xx or a dropped connection; API errors are `{status, message}`; requests that carry a poison
 * (and every admin request) are refused with a 4xx; the hub keeps answering; the data stays as it was.
 *
 * FUZZ_SEED and FUZZ_REQUESTS reproduce or lengthen a run; the seed is logged.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { signValue } from '../src/auth/cookies.ts';
import { LOGIN_COOKIE } from '../src/auth/session.ts';
import { generateToken } from '../src/tokens/format.ts';
import type { TestHub } from './harness.ts';
import { startInProcessHub } from './inprocess.ts';
import { databaseDigest, send, type Answer, type Secrets } from './fuzz-client.ts';
import { fuzzRequest, mustBeRefused, type FuzzRequest, type RouteTemplate } from './fuzz-requests.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20261122);
const COUNT = Number(process.env.FUZZ_REQUESTS ?? 4000);
const BATCH = 250;
const PARALLEL = 6;
const MAX_BODY = 65536;

function isApi(path: string): boolean {
  return path === '/hub/api' || path.startsWith('/hub/api/') || path.startsWith('/hub/api?');
}

/** What is wrong with an answer, or null. */
export function judge(r: FuzzRequest, a: Answer): string | null {
  // The proxy's error page shows the status it is asked for, 5xx included, by design.
  const byDesign = /^\/hub\/error\/5\d\d(?:[?/]|$)/.test(r.path);
  if (a.status >= 500 && !byDesign) return `server error ${a.status}`;
  // Pages take no API token: sending one to the login page is their way of refusing it.
  const toLogin =
    !isApi(r.path) && a.status >= 300 && a.status < 400 && String(a.headers.location ?? '').includes('/hub/login');
  if (mustBeRefused(r) && !toLogin && (a.status < 400 || a.status >= 500))
    return `not refused (${a.status}), poison: ${r.poison ?? 'admin with odd names'}`;
  if (isApi(r.path) && a.status >= 400 && r.method !== 'HEAD') {
    if (r.path.startsWith('/hub/api/oauth2/authorize') && String(a.headers['content-type']).startsWith('text/html'))
      return null;
    let json: any;
    try {
      json = JSON.parse(a.body.toString('utf8'));
    } catch {
      return `API error ${a.status} is not JSON`;
    }
    // The OAuth endpoints answer their own errors as RFC 6749 says (token) or as pages (authorize).
    const oauth = r.path.startsWith('/hub/api/oauth2/');
    if (oauth && typeof json?.error === 'string' && typeof json?.error_description === 'string') return null;
    if (json?.status !== a.status || typeof json?.message !== 'string')
      return `API error ${a.status} is not {status, message}`;
  }
  return null;
}

function describeRequest(r: FuzzRequest): string {
  const headers = r.headers
    .map(([k, v]) => `${k}: ${v.length > 80 ? `${v.slice(0, 80)}…(${v.length})` : v}`)
    .join(' | ');
  const body =
    r.body === undefined ? '' : ` body(${r.body.length}) ${JSON.stringify(r.body.subarray(0, 80).toString('latin1'))}`;
  const path = r.path.length > 200 ? `${r.path.slice(0, 200)}…(${r.path.length})` : r.path;
  return `[${r.credential}] ${r.method} ${path} {${headers}}${body}`;
}

function req(method: string, path: string, headers: [string, string][], body?: string): FuzzRequest {
  return {
    method,
    path,
    headers,
    body: body === undefined ? undefined : Buffer.from(body),
    credential: 'none',
    poison: 'regression',
    route: path,
  };
}

async function routeTemplates(h: TestHub): Promise<RouteTemplate[]> {
  const byUrl = new Map<string, Set<string>>();
  const add = (url: string, method: string) => {
    const set = byUrl.get(url) ?? new Set<string>();
    set.add(method.toUpperCase());
    byUrl.set(url, set);
  };
  const doc = await h.request('GET', 'hub/api/openapi.json');
  assert.equal(doc.status, 200);
  for (const [path, ops] of Object.entries(doc.json.paths as Record<string, Record<string, unknown>>)) {
    for (const method of Object.keys(ops))
      if (method !== 'parameters') add(path.replace(/\{([^}]+)\}/g, ':$1'), method);
  }
  for (const r of h.hub.routes) add(r.url, r.method);
  add('/hub/api/openapi.json', 'GET');
  add('/hub/api/docs/*', 'GET');
  return [...byUrl]
    .map(([url, methods]) => ({ url, methods: [...methods].sort() }))
    .sort((a, b) => a.url.localeCompare(b.url));
}

describe(`fuzzing every route (seed ${SEED}, ${COUNT} requests)`, () => {
  let h: TestHub;
  let secrets: Secrets;
  let routes: RouteTemplate[];
  let existingNames: string[];

  before(async () => {
    h = await startInProcessHub(
      {
        max_body_size: MAX_BODY,
        // Rate limits would turn the flood into 429s and hide what the handlers do.
        rate_limits: { enabled: false },
        services: [{ name: 'fuzzsvc', url: 'http://127.0.0.1:9/', api_token: `svc-${randomBytes(8).toString('hex')}` }],
      },
      // Raw HTTP (Node's own parser refusals, duplicate headers), straight to the hub as before.
      { listen: true },
    );
    await h.addUsers(['fuzzuser', 'victim']);
    assert.equal((await h.request('POST', 'hub/api/groups/team', { body: { users: ['victim'] } })).status, 201);
    await h.tokenFor('victim', { note: 'kept' });
    const user = await h.tokenFor('fuzzuser');
    const row = await h.hub.ctx.k
      .selectFrom('users')
      .select('cookie_id')
      .where('name', '=', 'fuzzuser')
      .executeTakeFirstOrThrow();
    const secret = Buffer.from(readFileSync(join(h.dir, 'cookie_secret'), 'utf8').trim(), 'hex');
    secrets = {
      user,
      admin: h.adminToken,
      cookie: `${LOGIN_COOKIE}=${signValue(secret, LOGIN_COOKIE, row.cookie_id)}`,
    };
    routes = await routeTemplates(h);
    const tokenIds = await h.hub.ctx.k.selectFrom('api_tokens').select('id').execute();
    existingNames = ['admin', 'fuzzuser', 'victim', 'team', 'fuzzsvc', ...tokenIds.map((t) => `a${t.id}`)];
  });
  after(async () => {
    await h?.stop();
  });

  test('the login cookie used for the cookie caller is valid (so its refusals come from the XSRF check)', async () => {
    // fetch would add `Sec-Fetch-Mode: cors` (and so need an XSRF token): a navigation needs none.
    const r = await send(
      h.hub.hubUrl,
      {
        method: 'GET',
        path: '/hub/api/user',
        headers: [['cookie', '<user-cookie>']],
        credential: 'cookie',
        poison: null,
        route: '',
      },
      secrets,
    );
    assert.equal(r.status, 200, r.body.toString());
    assert.equal(JSON.parse(r.body.toString()).name, 'fuzzuser');
  });

  test('regressions the fuzzing found: each answers a JSON {status, message} 4xx', async () => {
    const cases: [string, FuzzRequest][] = [
      // The OAuth token route's response schema made the error handler's body fail to serialize: 500.
      [
        'invalid JSON to the OAuth token endpoint',
        req('POST', '/hub/api/oauth2/token', [['content-type', 'application/json']], '{,'),
      ],
      // The authorize route's HTML response schema turned the error body into "[object Object]".
      ['NUL in the authorize URL', req('GET', '/hub/api/oauth2/authorize?x=%00', [])],
      // Node's parser refusals came in Fastify's own shape.
      ['an unknown method', req('BREW', '/hub/api/users', [])],
      ['a Host with a space', req('GET', '/hub/api/users', [['host', 'a b']])],
      ['a head over the size limit', req('GET', '/hub/api/users', [['x-junk', 'a'.repeat(20000)]])],
      // `/hub/api` without its slash answered errors as HTML to browsers.
      [
        '/hub/api with Accept: text/html',
        req(
          'OPTIONS',
          '/hub/api',
          [
            ['content-type', ';;;'],
            ['accept', 'text/html'],
          ],
          '{}',
        ),
      ],
    ];
    for (const [label, r] of cases) {
      const a = await send(h.hub.hubUrl, r, secrets);
      assert.ok(a.status >= 400 && a.status < 500, `${label}: ${a.status}`);
      assert.equal(judge(r, a), null, label);
    }
    // A HEAD refused by the parser gets no body: the client would take it for the next response.
    const head = await send(h.hub.hubUrl, req('HEAD', '/hub/api/users', [['x-junk', 'a'.repeat(20000)]]), secrets);
    assert.equal(head.status, 431);
    assert.equal(head.body.length, 0);
  });

  test('no 5xx, no dropped connection, API errors as JSON, poisoned requests refused, data unchanged', async () => {
    const t = Date.now();
    const requests = fc.sample(
      fuzzRequest({ routes, existingNames, maxBodySize: MAX_BODY, unknownToken: generateToken() }),
      { seed: SEED, numRuns: COUNT },
    );
    console.log(`fuzz: generated ${requests.length} requests in ${Date.now() - t} ms`);
    const before = await databaseDigest(h.hub.ctx.k);
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    const covered = new Set<string>();
    const started = Date.now();
    let sent = 0;
    for (let b = 0; b < requests.length; b += BATCH) {
      const batch = requests.slice(b, b + BATCH);
      let next = 0;
      const worker = async () => {
        while (next < batch.length) {
          const r = batch[next++]!;
          sent++;
          covered.add(r.route);
          try {
            const a = await send(h.hub.hubUrl, r, secrets);
            statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
            const problem = judge(r, a);
            if (problem) failures.push(`${problem}: ${describeRequest(r)} → ${a.body.subarray(0, 200).toString()}`);
          } catch (err) {
            failures.push(`no answer (${(err as Error).message}): ${describeRequest(r)}`);
          }
        }
      };
      await Promise.all(Array.from({ length: PARALLEL }, worker));
      const alive = await h.request('GET', 'hub/api/');
      assert.equal(alive.status, 200, `the hub stopped answering after request ${b + batch.length}`);
    }
    const after = await databaseDigest(h.hub.ctx.k);
    const fiveXX = [...statuses].filter(([s]) => s >= 500).reduce((n, [, c]) => n + c, 0);
    const summary = [...statuses]
      .sort(([a], [b]) => a - b)
      .map(([s, c]) => `${s}:${c}`)
      .join(' ');
    console.log(
      `fuzz: seed ${SEED}, ${sent} requests to ${covered.size}/${routes.length} routes in ${Date.now() - started} ms; 5xx: ${fiveXX}; statuses ${summary}`,
    );
    if (process.env.FUZZ_DUMP) writeFileSync(process.env.FUZZ_DUMP, `${failures.join('\n')}\n`);
    assert.equal(covered.size, routes.length, 'every route was fuzzed');
    assert.deepEqual(failures.slice(0, 25), [], `${failures.length} bad answers (seed ${SEED})`);
    assert.equal(after.digest, before.digest, `the database changed (rows ${before.rows} → ${after.rows})`);
    const unhandled = h.logs.filter((l) => l.includes('unhandled error'));
    assert.deepEqual(unhandled.slice(0, 5), [], 'the hub logged unhandled errors');
  });
});
