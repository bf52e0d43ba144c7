import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { HubClient } from './hub-client.ts';
import type { CullLog } from './log.ts';
import { cullPass, describeSummary, type PassOptions } from './pass.ts';

// The pass against a scripted hub on loopback: exact requests, pagination, 202s, old hubs. The real hub is in test/culler.test.ts.

const NOW = Date.parse('2026-03-04T12:00:00.000Z');
const ago = (s: number) => new Date(NOW - s * 1000).toISOString();
const OPTS: PassOptions = {
  timeout: 600,
  maxAge: 0,
  cullDefaultServers: true,
  cullNamedServers: true,
  cullAdminUsers: true,
  cullUsers: false,
  removeNamedServers: false,
  apiPageSize: 0,
};

interface Seen {
  method: string;
  url: string;
  accept: string;
  auth: string;
  body: string;
}
type Handler = (req: Seen) => { status: number; body?: unknown } | undefined;

let server: Server;
let base: string;
let handler: Handler = () => undefined;
let seen: Seen[] = [];
let inFlight = 0;
let peak = 0;

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
}

before(async () => {
  server = createServer(async (req, res) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    const s: Seen = {
      method: req.method!,
      url: req.url!,
      accept: String(req.headers.accept),
      auth: String(req.headers.authorization),
      body: await readBody(req),
    };
    seen.push(s);
    await new Promise((r) => setTimeout(r, 5));
    const out = handler(s) ?? { status: 404, body: { status: 404, message: 'Not found' } };
    inFlight--;
    res
      .writeHead(out.status, { 'content-type': 'application/json' })
      .end(out.body === undefined ? '' : JSON.stringify(out.body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}/hub/api`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

function logCapture(): CullLog & { lines: string[] } {
  const lines: string[] = [];
  const at = (l: string) => (m: string) => void lines.push(`${l} ${m}`);
  return { lines, debug: at('D'), info: at('I'), warn: at('W'), error: at('E') };
}

function run(opts: Partial<PassOptions> = {}, concurrency = 10) {
  seen = [];
  peak = 0;
  const log = logCapture();
  const client = new HubClient({ url: base, token: 'tok', concurrency, timeoutMs: 5000 });
  return cullPass(client, { ...OPTS, ...opts }, log, () => NOW).then((sum) => ({ sum, log }));
}

const server_ = (lastActivity: string | null, o: Record<string, unknown> = {}) => ({
  name: '',
  ready: true,
  pending: null,
  url: '/u/',
  started: ago(7200),
  last_activity: lastActivity,
  ...o,
});

describe('cullPass', () => {
  it('pages through state=ready with the pagination Accept header, then stops only idle servers', async () => {
    const users = [
      { name: 'idle', servers: { '': server_(ago(601)) } },
      { name: 'busy', servers: { '': server_(ago(5)) } },
      { name: 'a b', servers: { lab: server_(ago(900), { name: 'lab' }) } },
    ];
    handler = (r) => {
      if (r.method === 'GET' && r.url === '/hub/api/') return { status: 200, body: { version: '5.3.0' } };
      if (r.method === 'GET' && r.url.startsWith('/hub/api/users?')) {
        const q = new URL(r.url, 'http://x').searchParams;
        const offset = Number(q.get('offset') ?? 0);
        const nextUrl = offset + 2 < users.length ? `${base}/users?state=ready&offset=${offset + 2}&limit=2` : null;
        return {
          status: 200,
          body: {
            items: users.slice(offset, offset + 2),
            _pagination: {
              offset,
              limit: 2,
              total: 3,
              next: nextUrl && { offset: offset + 2, limit: 2, url: nextUrl },
            },
          },
        };
      }
      if (r.method === 'DELETE') return { status: 204 };
      return undefined;
    };
    const { sum, log } = await run();
    // Every page is listed before anything is stopped.
    assert.deepEqual(
      seen.slice(0, 3).map((s) => `${s.method} ${s.url}`),
      ['GET /hub/api/', 'GET /hub/api/users?state=ready', 'GET /hub/api/users?state=ready&offset=2&limit=2'],
    );
    const deletes = seen
      .filter((s) => s.method === 'DELETE')
      .map((s) => [s.url, s.body])
      .sort();
    assert.deepEqual(deletes, [
      ['/hub/api/users/a%20b/servers/lab', ''],
      ['/hub/api/users/idle/server', ''],
    ]);
    assert.ok(
      seen
        .filter((s) => s.url.startsWith('/hub/api/users?'))
        .every((s) => s.accept === 'application/jupyterhub-pagination+json'),
    );
    assert.ok(seen.every((s) => s.auth === 'token tok'));
    assert.deepEqual(
      { ...sum, ms: 0 },
      {
        usersListed: 3,
        pages: 2,
        serversChecked: 3,
        serversCulled: 2,
        serversSlow: 0,
        usersCulled: 0,
        errors: 0,
        ms: 0,
      },
    );
    assert.ok(
      log.lines.includes('I Culling server idle (inactive for 00:10:01, timeout 00:10:00)'),
      log.lines.join('\n'),
    );
    assert.ok(
      log.lines.includes('I Keeping server busy: inactive for 00:00:05, timeout 00:10:00'),
      log.lines.join('\n'),
    );
    assert.match(
      describeSummary(sum, OPTS),
      /^Cull pass done in \d+\.\d\d s: 3 users listed \(2 pages\), 3 servers checked, 2 culled, 0 errors$/,
    );
  });

  it('with --cull-users: lists inactive users first, keeps a user whose server answered 202, removes named servers', async () => {
    handler = (r) => {
      if (r.url === '/hub/api/') return { status: 200, body: { version: '5.3.0' } };
      if (r.url === '/hub/api/users?state=inactive&limit=50') {
        return {
          status: 200,
          body: {
            items: [
              { name: 'gone', admin: false, created: ago(5000), last_activity: ago(4000), servers: {} },
              { name: 'boss', admin: true, created: ago(5000), last_activity: ago(4000), servers: {} },
              { name: 'new', admin: false, created: ago(10), last_activity: null, servers: {} },
            ],
            _pagination: { offset: 0, limit: 50, total: 3, next: null },
          },
        };
      }
      if (r.url === '/hub/api/users?state=ready&limit=50') {
        return {
          status: 200,
          body: {
            items: [
              {
                name: 'slow',
                admin: false,
                created: ago(5000),
                last_activity: ago(4000),
                servers: { '': server_(ago(4000)) },
              },
              {
                name: 'named',
                admin: false,
                created: ago(5000),
                last_activity: ago(4000),
                servers: { nb: server_(ago(4000), { name: 'nb' }) },
              },
            ],
            _pagination: { offset: 0, limit: 50, total: 2, next: null },
          },
        };
      }
      if (r.method === 'DELETE' && r.url === '/hub/api/users/slow/server') return { status: 202 };
      if (r.method === 'DELETE') return { status: 204 };
      return undefined;
    };
    const { sum, log } = await run({
      cullUsers: true,
      cullAdminUsers: false,
      removeNamedServers: true,
      apiPageSize: 50,
    });
    assert.deepEqual(
      seen.slice(0, 3).map((s) => s.url),
      ['/hub/api/', '/hub/api/users?state=inactive&limit=50', '/hub/api/users?state=ready&limit=50'],
    );
    const deletes = seen
      .filter((s) => s.method === 'DELETE')
      .map((s) => `${s.url} ${s.body}`)
      .sort();
    assert.deepEqual(deletes, [
      '/hub/api/users/gone ',
      '/hub/api/users/named ',
      '/hub/api/users/named/servers/nb {"remove":true}',
      '/hub/api/users/slow/server ',
    ]);
    assert.equal(sum.serversSlow, 1);
    assert.equal(sum.usersCulled, 2);
    assert.ok(log.lines.some((l) => /^W Server slow is slow to stop/.test(l)));
    assert.ok(log.lines.includes('I Keeping user slow: 1 server still running'));
    assert.ok(
      log.lines.some((l) => /^I Keeping user boss: inactive for 01:06:40, but admin users are not culled/.test(l)),
      log.lines.join('\n'),
    );
    assert.ok(log.lines.includes('I Keeping user new: inactive for 00:00:10, timeout 00:10:00'));
    // The user's DELETE comes only after their server's.
    const order = seen.map((s) => s.url);
    assert.ok(order.indexOf('/hub/api/users/named/servers/nb') < order.indexOf('/hub/api/users/named'));
  });

  it('lists everyone, unfiltered, from a hub before 1.3 (bare list, no `ready`)', async () => {
    handler = (r) => {
      if (r.url === '/hub/api/') return { status: 200, body: { version: '1.2.2' } };
      if (r.url === '/hub/api/users')
        return {
          status: 200,
          body: [
            { name: 'old', server: '/user/old/', pending: null, last_activity: ago(700) },
            { name: 'off', server: null, pending: null, last_activity: ago(700) },
          ],
        };
      if (r.method === 'DELETE') return { status: 204 };
      return undefined;
    };
    const { sum, log } = await run();
    assert.deepEqual(
      seen.map((s) => `${s.method} ${s.url}`),
      ['GET /hub/api/', 'GET /hub/api/users', 'DELETE /hub/api/users/old/server'],
    );
    assert.equal(sum.serversCulled, 1);
    assert.ok(log.lines.some((l) => /^W hub API version "1.2.2" is before 1.3.0/.test(l)));
  });

  it('skips pending servers; a failed stop is an error and keeps the user; never more requests than --concurrency', async () => {
    const users = Array.from({ length: 12 }, (_, i) => ({
      name: `u${i}`,
      created: ago(9999),
      last_activity: ago(9999),
      admin: false,
      servers: { '': server_(ago(9999)) },
    }));
    users.push({
      name: 'spawning',
      created: ago(9999),
      last_activity: ago(9999),
      admin: false,
      servers: { '': server_(ago(9999), { pending: 'spawn', ready: false }) },
    });
    handler = (r) => {
      if (r.url === '/hub/api/') return { status: 200, body: { version: '5.3.0' } };
      if (r.url === '/hub/api/users?state=inactive')
        return { status: 200, body: { items: [], _pagination: { offset: 0, limit: 50, total: 0, next: null } } };
      if (r.url === '/hub/api/users?state=ready')
        return { status: 200, body: { items: users, _pagination: { offset: 0, limit: 50, total: 13, next: null } } };
      if (r.method === 'DELETE' && r.url === '/hub/api/users/u3/server')
        return { status: 500, body: { status: 500, message: 'spawner exploded' } };
      if (r.method === 'DELETE') return { status: 204 };
      return undefined;
    };
    const { sum, log } = await run({ cullUsers: true }, 3);
    assert.equal(peak, 3);
    assert.equal(sum.serversCulled, 11);
    assert.equal(sum.usersCulled, 11);
    assert.equal(sum.errors, 1);
    assert.ok(
      log.lines.some(
        (l) => l.startsWith('E Could not stop server u3: DELETE') && l.endsWith('answered 500: spawner exploded'),
      ),
      log.lines.join('\n'),
    );
    assert.ok(log.lines.includes('W Not culling server spawning: pending spawn'));
    assert.ok(!seen.some((s) => s.url === '/hub/api/users/u3' || s.url.startsWith('/hub/api/users/spawning')));
  });

  it('fails the pass when the hub refuses the listing (e.g. a token without list:users)', async () => {
    handler = (r) => {
      if (r.url === '/hub/api/') return { status: 200, body: { version: '5.3.0' } };
      return {
        status: 403,
        body: { status: 403, message: 'Action is not authorized with current scopes; requires any of [list:users]' },
      };
    };
    await assert.rejects(run(), /GET .*\/users\?state=ready answered 403: Action is not authorized/);
  });

  it('refuses to follow a next.url that loops back', async () => {
    handler = (r) => {
      if (r.url === '/hub/api/') return { status: 200, body: { version: '5.3.0' } };
      return {
        status: 200,
        body: {
          items: [],
          _pagination: {
            offset: 0,
            limit: 2,
            total: 9,
            next: { offset: 0, limit: 2, url: `${base}/users?state=ready` },
          },
        },
      };
    };
    await assert.rejects(run(), /pagination loops back/);
  });
});
