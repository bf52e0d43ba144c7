// No token ever reaches a log line, an error message or the database (TOKENS.md, "Format and storage").
// One hub goes through a token's whole life (created, used, rotated, revoked, expired, refused, its owner
// deleted) with generated and config tokens; then every log line and every byte of the database is searched.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { dumpDatabase } from '../src/db/test-helpers.ts';
import type { Reply, TestHub } from './harness.ts';
import { startInProcessHub } from './inprocess.ts';
import { generateToken, TOKEN_PREFIX } from '../src/tokens/format.ts';

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));
const TABLES = [
  'users',
  'groups',
  'user_group_map',
  'roles',
  'user_role_map',
  'group_role_map',
  'service_role_map',
  'services',
  'api_tokens',
  'spawners',
  'oauth_clients',
  'oauth_codes',
] as const;

/** The strings that must not appear: the token, and for generated tokens also its random part alone. */
function needles(token: string): string[] {
  return token.startsWith(TOKEN_PREFIX) ? [token, token.slice(TOKEN_PREFIX.length, TOKEN_PREFIX.length + 32)] : [token];
}

describe('token secrecy', () => {
  let h: TestHub;
  let stopped = false;
  const secrets: string[] = [];
  const replies: Reply[] = [];
  const userConfigToken = 'uma-config-token-Zq81';
  const serviceConfigToken = 'svc-config-token-Xp42';
  let tableDump = '';
  let dbBytes: { file: string; text: string }[] = [];

  before(async () => {
    h = await startInProcessHub({
      activity_resolution: 1,
      api_tokens: { [userConfigToken]: 'uma' },
      services: [{ name: 'reporter', api_token: serviceConfigToken }],
    });
    secrets.push(h.adminToken, userConfigToken, serviceConfigToken);
    const call = async (method: string, path: string, opts: Parameters<TestHub['request']>[2] = {}) => {
      const r = await h.request(method, path, opts);
      replies.push(r);
      return r;
    };
    const create = async (user: string, body: Record<string, unknown> = {}, token?: string) => {
      const r = await call('POST', `hub/api/users/${user}/tokens`, { body, token });
      assert.equal(r.status, 201, r.text);
      secrets.push(r.json.token);
      return r.json as { id: string; token: string };
    };

    await h.addUsers(['uma', 'vic']);
    // created by an admin, by the user, through `auth`, with an expiry
    const a = await create('uma', { note: 'a' });
    const b = await create('uma', { note: 'b' }, a.token);
    const viaAuth = await call('POST', 'hub/api/users/vic/tokens', {
      token: null,
      body: { auth: { username: 'vic', password: 'pw' } },
    });
    secrets.push(viaAuth.json.token);
    const short = await create('vic', { expires_in: 1 });
    // used, by every kind of credential
    for (const t of [a.token, b.token, viaAuth.json.token, short.token, userConfigToken, serviceConfigToken]) {
      const used = await call('GET', 'hub/api/user', { token: t });
      // The one-second token may have expired already on a loaded machine; it is used either way.
      if (t !== short.token) assert.equal(used.status, 200, used.text);
      await call('GET', 'hub/api/user', { token: null, headers: { authorization: `Bearer ${t}` } });
    }
    await call('GET', 'hub/api/users', { token: a.token }); // insufficient scope
    // rotated, with and without grace; the old one used after the grace period
    const rotated = await call('POST', `hub/api/users/uma/tokens/${a.id}/rotate`, {
      body: { grace_seconds: 1 },
      token: a.token,
    });
    secrets.push(rotated.json.token);
    const rotatedAgain = await call('POST', `hub/api/users/uma/tokens/${rotated.json.id}/rotate`, { body: {} });
    secrets.push(rotatedAgain.json.token);
    // revoked one by one, and all at once
    await call('DELETE', `hub/api/users/uma/tokens/${b.id}`);
    const c = await create('vic');
    await call('DELETE', 'hub/api/users/vic/tokens');
    // failed attempts with real-looking tokens
    for (let i = 0; i < 3; i++) {
      const unknown = generateToken();
      const malformed = `${generateToken().slice(0, -1)}0`;
      const configLike = `cfg-${generateToken().slice(6, 30)}`;
      secrets.push(unknown, malformed, configLike);
      for (const t of [unknown, malformed, configLike]) {
        await call('GET', 'hub/api/user', { token: t });
        await call('POST', 'hub/api/users/uma/tokens', { token: t, body: {} });
        await call('GET', 'hub/api/users/uma', { token: null, headers: { authorization: `Basic ${t}` } });
        await call('GET', `hub/api/user?token=${t}`, { token: null });
      }
    }
    await sleep(1100);
    for (const t of [a.token, b.token, short.token, c.token, rotated.json.token, rotatedAgain.json.token]) {
      await call('GET', 'hub/api/user', { token: t });
    }
    // a token whose owner is deleted
    const d = await create('vic');
    await call('GET', 'hub/api/user', { token: d.token });
    await call('DELETE', 'hub/api/users/vic');
    await call('GET', 'hub/api/user', { token: d.token });
    await h.hub.ctx.activity.flush();

    // every row of every table, read through the hub's own connection
    const rows: unknown[] = [];
    for (const t of TABLES) rows.push(await h.hub.ctx.k.selectFrom(t).selectAll().execute());
    tableDump = JSON.stringify(rows);
    // and the whole stored database: a pg_dump of PostgreSQL's, or SQLite's files on disk once the hub
    // has stopped (main file, WAL and anything beside it)
    if (h.dbUrl.startsWith('postgres')) {
      dbBytes = [{ file: 'pg_dump', text: await dumpDatabase(h.dbUrl) }];
    } else {
      await h.hub.stop();
      stopped = true;
      const main = join(h.dir, 'tshub.sqlite');
      dbBytes = ['', '-wal', '-shm', '-journal']
        .map((s) => main + s)
        .filter((f) => existsSync(f))
        .map((file) => ({ file, text: readFileSync(file).toString('latin1') }));
    }
  });

  after(async () => {
    if (stopped) rmSync(h.dir, { recursive: true, force: true });
    else await h.stop();
  });

  test('the run used many distinct tokens, and the logs and database recorded the activity', () => {
    assert.ok(new Set(secrets).size >= 20, `${secrets.length} tokens`);
    assert.ok(h.logs.some((l) => l.includes('token rotated')));
    assert.ok(h.logs.some((l) => l.includes('"status":403')));
    assert.ok(tableDump.includes('last_used_ip'));
    assert.ok(dbBytes.length >= 1);
    // the search does find what is stored: each token's display prefix is there in clear
    const prefix = secrets[3]!.slice(6, 14);
    assert.ok(
      dbBytes.some((f) => f.text.includes(prefix)),
      'display prefixes are stored',
    );
  });

  test('no token appears in any log line', () => {
    for (const s of secrets) {
      for (const n of needles(s)) {
        const line = h.logs.find((l) => l.includes(n));
        assert.equal(line, undefined, `log line reveals a token: ${line}`);
      }
    }
  });

  test('no token appears in any reply other than the one that creates it', () => {
    for (const r of replies) {
      if (r.status === 201 && typeof r.json?.token === 'string') continue;
      for (const s of secrets)
        for (const n of needles(s)) assert.ok(!r.text.includes(n), `reply ${r.status} reveals a token: ${r.text}`);
    }
  });

  test('no token appears in any table', () => {
    for (const s of secrets) for (const n of needles(s)) assert.ok(!tableDump.includes(n), `stored: ${n.slice(0, 6)}…`);
  });

  test('no token appears anywhere in the stored database (SQLite files or pg_dump)', () => {
    for (const { file, text } of dbBytes) {
      for (const s of secrets)
        for (const n of needles(s)) assert.ok(!text.includes(n), `${file} holds ${n.slice(0, 6)}…`);
    }
  });
});

describe('token secrecy: paths', () => {
  // The deprecated upstream endpoint GET /hub/api/authorizations/token/{token} carries a token in its path.
  // tshub does not serve it yet, and the request log line of an unmatched route holds the raw path
  // (src/http/server.ts logs req.url when there is no route pattern).
  test('a token in the path of an unserved URL is not logged', async () => {
    const h = await startInProcessHub();
    try {
      const t = await h.tokenFor('admin');
      await h.request('GET', `hub/api/authorizations/token/${t}`, { token: null });
      await h.request('GET', `hub/api/no-such-endpoint/${t}`, { token: null });
      for (const n of needles(t))
        assert.equal(
          h.logs.find((l) => l.includes(n)),
          undefined,
        );
    } finally {
      await h.stop();
    }
  });
});
