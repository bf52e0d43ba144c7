/**
 * Bad input to the users and groups endpoints: every request answers 4xx with a JSON
 * `{status, message}` body (never 5xx), and leaves the data as it was.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Reply, TestHub } from './harness.ts';
import { startInProcessHub } from './inprocess.ts';

type Case = {
  method: string;
  path: string;
  body?: unknown;
  raw?: string | Uint8Array;
  contentType?: string;
  status?: number;
};

function assertJsonError(r: Reply, label: string, status?: number): void {
  assert.ok(r.status >= 400 && r.status < 500, `${label}: expected 4xx, got ${r.status} ${r.text.slice(0, 200)}`);
  if (status !== undefined) assert.equal(r.status, status, `${label}: ${r.text.slice(0, 200)}`);
  assert.match(r.headers.get('content-type') ?? '', /^application\/json/, label);
  assert.equal(r.json?.status, r.status, `${label}: body ${r.text.slice(0, 200)}`);
  assert.equal(typeof r.json.message, 'string', label);
  assert.ok(r.json.message.length > 0, label);
}

const nested = (depth: number, leaf = '1') => '['.repeat(depth) + leaf + ']'.repeat(depth);
const nestedObject = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

describe('bad input to users and groups', () => {
  let h: TestHub;
  /** Everything a bad request could have changed, without timestamps that move on their own. */
  const snapshot = async (): Promise<string> => {
    const users = await h.request('GET', 'hub/api/users?limit=1000');
    const groups = await h.request('GET', 'hub/api/groups?limit=1000');
    const states = [];
    for (const u of users.json)
      states.push((await h.request('GET', `hub/api/users/${encodeURIComponent(u.name)}`)).json.auth_state);
    const strip = users.json.map(({ last_activity: _l, ...rest }: Record<string, unknown>) => rest);
    return JSON.stringify({ users: strip, groups: groups.json, states });
  };
  const expectRejected = async (cases: Case[]) => {
    const before = await snapshot();
    for (const c of cases) {
      const label = `${c.method} ${c.path} ${c.raw !== undefined ? `raw ${String(c.raw).slice(0, 60)}` : JSON.stringify(c.body)?.slice(0, 80)}`;
      const headers: Record<string, string> = {};
      if (c.contentType) headers['content-type'] = c.contentType;
      const r = await h.request(
        c.method,
        c.path,
        c.raw !== undefined ? { rawBody: c.raw, headers } : { body: c.body, headers },
      );
      assertJsonError(r, label, c.status);
    }
    assert.equal(await snapshot(), before, 'the data changed');
  };

  before(async () => {
    h = await startInProcessHub();
    await h.addUsers(['ann', 'ben']);
    await h.request('POST', 'hub/api/groups/team', { body: { users: ['ann'] } });
    await h.request('PATCH', 'hub/api/users/ben', { body: { auth_state: { keep: true } } });
  });
  after(() => h.stop());

  test('POST /users: wrong types, unknown fields, empty lists, {} / [] / null / scalar bodies → 400', async () => {
    await expectRejected([
      { method: 'POST', path: 'hub/api/users', body: {}, status: 400 },
      { method: 'POST', path: 'hub/api/users', body: [], status: 400 },
      { method: 'POST', path: 'hub/api/users', body: null, status: 400 },
      { method: 'POST', path: 'hub/api/users', body: 'usernames', status: 400 },
      { method: 'POST', path: 'hub/api/users', body: 42, status: 400 },
      { method: 'POST', path: 'hub/api/users', body: true, status: 400 },
      { method: 'POST', path: 'hub/api/users', raw: '', status: 400 },
      { method: 'POST', path: 'hub/api/users', body: { usernames: [] }, status: 400 },
      { method: 'POST', path: 'hub/api/users', body: { usernames: null }, status: 400 },
      { method: 'POST', path: 'hub/api/users', body: { usernames: 'carl' }, status: 400 },
      { method: 'POST', path: 'hub/api/users', body: { usernames: { carl: true } }, status: 400 },
      { method: 'POST', path: 'hub/api/users', body: { usernames: [1, 2] }, status: 400 },
      { method: 'POST', path: 'hub/api/users', body: { usernames: ['carl', null] }, status: 400 },
      { method: 'POST', path: 'hub/api/users', body: { usernames: [['carl']] }, status: 400 },
      { method: 'POST', path: 'hub/api/users', body: { usernames: ['carl'], admin: 'yes' }, status: 400 },
      { method: 'POST', path: 'hub/api/users', body: { usernames: ['carl'], admin: 1 }, status: 400 },
      { method: 'POST', path: 'hub/api/users', body: { usernames: ['carl'], frobnicate: 1 }, status: 400 },
      { method: 'POST', path: 'hub/api/users', body: { users: ['carl'] }, status: 400 },
      // upstream's user-model keys are type-checked even where they are ignored
      { method: 'POST', path: 'hub/api/users', body: { usernames: ['carl'], groups: 'team' }, status: 400 },
      { method: 'POST', path: 'hub/api/users', body: { usernames: ['carl'], roles: { admin: true } }, status: 400 },
      { method: 'POST', path: 'hub/api/users', body: { usernames: ['carl'], auth_state: 'x' }, status: 400 },
    ]);
  });

  test('POST /users: invalid names → 400 naming them, none of the batch created', async () => {
    await expectRejected([
      { method: 'POST', path: 'hub/api/users', body: { usernames: ['carl', ''] }, status: 400 },
      { method: 'POST', path: 'hub/api/users', body: { usernames: ['carl', ' padded'] }, status: 400 },
      { method: 'POST', path: 'hub/api/users', body: { usernames: ['carl', 'trailing '] }, status: 400 },
      { method: 'POST', path: 'hub/api/users', body: { usernames: ['carl', 'a/b'] }, status: 400 },
      { method: 'POST', path: 'hub/api/users', body: { usernames: ['carl', 'nul\u0000byte'] }, status: 400 },
      { method: 'POST', path: 'hub/api/users', body: { usernames: ['carl', 'new\nline'] }, status: 400 },
      { method: 'POST', path: 'hub/api/users', body: { usernames: ['carl', 'x'.repeat(256)] }, status: 400 },
    ]);
    const r = await h.request('POST', 'hub/api/users', { body: { usernames: ['carl', 'a/b', 'x'.repeat(256)] } });
    assert.equal(r.json.message, `Invalid usernames: a/b, ${'x'.repeat(256)}`);
  });

  test('POST /users/{name}: bad bodies and names → 4xx, nothing created', async () => {
    await expectRejected([
      { method: 'POST', path: 'hub/api/users/carl', body: { admin: 'yes' }, status: 400 },
      { method: 'POST', path: 'hub/api/users/carl', body: { admin: null }, status: 400 },
      { method: 'POST', path: 'hub/api/users/carl', body: { name: 'carl', extra: 1 }, status: 400 },
      { method: 'POST', path: 'hub/api/users/carl', body: { name: 5 }, status: 400 },
      { method: 'POST', path: 'hub/api/users/carl', body: { nope: true }, status: 400 },
      { method: 'POST', path: 'hub/api/users/carl', body: [], status: 400 },
      { method: 'POST', path: 'hub/api/users/carl', body: [true], status: 400 },
      { method: 'POST', path: 'hub/api/users/carl', body: 'admin', status: 400 },
      { method: 'POST', path: 'hub/api/users/carl', body: 7, status: 400 },
      { method: 'POST', path: 'hub/api/users/carl', raw: '{admin: true}', status: 400 },
      { method: 'POST', path: 'hub/api/users/a%2Fb', status: 400 },
      { method: 'POST', path: 'hub/api/users/%20lead', status: 400 },
      { method: 'POST', path: 'hub/api/users/nul%00byte', status: 400 },
      { method: 'POST', path: 'hub/api/users/bad%0Aname', status: 400 },
      { method: 'POST', path: `hub/api/users/${'y'.repeat(256)}`, status: 400 },
      { method: 'POST', path: `hub/api/users/${'y'.repeat(5000)}` },
      { method: 'POST', path: 'hub/api/users/ann', status: 409 },
      { method: 'POST', path: 'hub/api/users/ANN', status: 409 },
    ]);
    assert.equal((await h.request('GET', 'hub/api/users/a%2Fb')).status, 404);
  });

  test('malformed percent-encoding in the path → 400 JSON from the hub', async () => {
    for (const path of ['hub/api/users/truncated%E0%A4', 'hub/api/users/not%zzhex', 'hub/api/groups/%E0%A4%A']) {
      const r = await h.request('POST', path);
      assertJsonError(r, path, 400);
      assert.match(r.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    }
    assert.equal((await h.request('GET', 'hub/api/users?name_filter=truncated')).json.length, 0);
  });

  test('PATCH /users/{name}: bad types, unknown keys, bad or taken names → 4xx, user unchanged', async () => {
    await expectRejected([
      { method: 'PATCH', path: 'hub/api/users/ann', raw: '', status: 400 },
      { method: 'PATCH', path: 'hub/api/users/ann', body: null, status: 400 },
      { method: 'PATCH', path: 'hub/api/users/ann', body: [], status: 400 },
      { method: 'PATCH', path: 'hub/api/users/ann', body: 'ann2', status: 400 },
      { method: 'PATCH', path: 'hub/api/users/ann', body: { name: 123 }, status: 400 },
      { method: 'PATCH', path: 'hub/api/users/ann', body: { name: null }, status: 400 },
      { method: 'PATCH', path: 'hub/api/users/ann', body: { name: '' }, status: 400 },
      { method: 'PATCH', path: 'hub/api/users/ann', body: { name: 'a/b' }, status: 400 },
      { method: 'PATCH', path: 'hub/api/users/ann', body: { name: 'z'.repeat(256) }, status: 400 },
      { method: 'PATCH', path: 'hub/api/users/ann', body: { name: 'ben' }, status: 400 },
      { method: 'PATCH', path: 'hub/api/users/ann', body: { name: 'BEN' }, status: 400 },
      { method: 'PATCH', path: 'hub/api/users/ann', body: { admin: 'true' }, status: 400 },
      { method: 'PATCH', path: 'hub/api/users/ann', body: { admin: 0 }, status: 400 },
      { method: 'PATCH', path: 'hub/api/users/ann', body: { auth_state: 'secret' }, status: 400 },
      { method: 'PATCH', path: 'hub/api/users/ann', body: { auth_state: [1, 2] }, status: 400 },
      { method: 'PATCH', path: 'hub/api/users/ann', body: { groups: ['team'] }, status: 400 },
      { method: 'PATCH', path: 'hub/api/users/ann', body: { name: 'ann2', created: 'yesterday' }, status: 400 },
      { method: 'PATCH', path: 'hub/api/users/nobody', body: { admin: false }, status: 404 },
    ]);
    // an empty patch changes nothing and is not an error (upstream)
    const empty = await h.request('PATCH', 'hub/api/users/ann', { body: {} });
    assert.equal(empty.status, 200);
    assert.equal(empty.json.name, 'ann');
  });

  test('groups endpoints: bad bodies, names and members → 4xx, groups unchanged', async () => {
    await expectRejected([
      { method: 'POST', path: 'hub/api/groups', body: {}, status: 400 },
      { method: 'POST', path: 'hub/api/groups', body: [], status: 400 },
      { method: 'POST', path: 'hub/api/groups', body: null, status: 400 },
      { method: 'POST', path: 'hub/api/groups', raw: '', status: 400 },
      { method: 'POST', path: 'hub/api/groups', body: { groups: [] }, status: 400 },
      { method: 'POST', path: 'hub/api/groups', body: { groups: 'g1' }, status: 400 },
      { method: 'POST', path: 'hub/api/groups', body: { groups: [1] }, status: 400 },
      { method: 'POST', path: 'hub/api/groups', body: { groups: ['g1'], users: 'ann' }, status: 400 },
      { method: 'POST', path: 'hub/api/groups', body: { groups: ['g1'], users: [1] }, status: 400 },
      { method: 'POST', path: 'hub/api/groups', body: { groups: ['g1'], users: ['nobody'] }, status: 400 },
      { method: 'POST', path: 'hub/api/groups', body: { groups: ['g1'], properties: {} }, status: 400 },
      { method: 'POST', path: 'hub/api/groups', body: { groups: ['g1', 'a/b'] }, status: 400 },
      { method: 'POST', path: 'hub/api/groups', body: { groups: ['g1', ''] }, status: 400 },
      { method: 'POST', path: 'hub/api/groups', body: { groups: ['g1', 'g'.repeat(256)] }, status: 400 },
      { method: 'POST', path: 'hub/api/groups', body: { groups: ['g1', 'team'] }, status: 409 },
      { method: 'POST', path: 'hub/api/groups/g1', body: { users: 'ann' }, status: 400 },
      { method: 'POST', path: 'hub/api/groups/g1', body: { users: [null] }, status: 400 },
      { method: 'POST', path: 'hub/api/groups/g1', body: { users: ['ann', 'nobody'] }, status: 400 },
      { method: 'POST', path: 'hub/api/groups/g1', body: { members: ['ann'] }, status: 400 },
      { method: 'POST', path: 'hub/api/groups/g1', body: { roles: 'admin' }, status: 400 },
      { method: 'POST', path: 'hub/api/groups/g1', body: [], status: 400 },
      { method: 'POST', path: 'hub/api/groups/g1', body: 'ann', status: 400 },
      { method: 'POST', path: 'hub/api/groups/a%2Fb', status: 400 },
      { method: 'POST', path: `hub/api/groups/${'g'.repeat(256)}`, status: 400 },
      { method: 'POST', path: 'hub/api/groups/team', status: 409 },
      { method: 'POST', path: 'hub/api/groups/team/users', body: {}, status: 400 },
      { method: 'POST', path: 'hub/api/groups/team/users', body: null, status: 400 },
      { method: 'POST', path: 'hub/api/groups/team/users', raw: '', status: 400 },
      { method: 'POST', path: 'hub/api/groups/team/users', body: { users: 'ben' }, status: 400 },
      { method: 'POST', path: 'hub/api/groups/team/users', body: { users: [7] }, status: 400 },
      { method: 'POST', path: 'hub/api/groups/team/users', body: { users: ['ben', 'nobody'] }, status: 400 },
      { method: 'POST', path: 'hub/api/groups/team/users', body: { users: ['ben', 'nul\u0000byte'] }, status: 400 },
      { method: 'POST', path: 'hub/api/groups/g1', body: { users: ['nul\u0000byte'] }, status: 400 },
      { method: 'POST', path: 'hub/api/groups/nul%00byte', status: 400 },
      { method: 'POST', path: 'hub/api/groups/team/users', body: { users: ['ben'], extra: true }, status: 400 },
      { method: 'DELETE', path: 'hub/api/groups/team/users', body: { users: ['ann', 'nobody'] }, status: 400 },
      { method: 'DELETE', path: 'hub/api/groups/team/users', body: [], status: 400 },
      { method: 'PUT', path: 'hub/api/groups/team/properties', body: [], status: 400 },
      { method: 'PUT', path: 'hub/api/groups/team/properties', body: 'x', status: 400 },
      { method: 'PUT', path: 'hub/api/groups/team/properties', body: null, status: 400 },
      { method: 'PUT', path: 'hub/api/groups/team/properties', raw: '', status: 400 },
      { method: 'PUT', path: 'hub/api/groups/team/properties', raw: '{"a":', status: 400 },
      { method: 'DELETE', path: 'hub/api/groups/nope', status: 404 },
      { method: 'POST', path: 'hub/api/groups/nope/users', body: { users: ['ann'] }, status: 404 },
    ]);
    // an empty member list is a no-op, not an error (upstream)
    const empty = await h.request('POST', 'hub/api/groups/team/users', { body: { users: [] } });
    assert.equal(empty.status, 200);
    assert.deepEqual(empty.json.users, ['ann']);
  });

  test('malformed bodies: non-JSON, invalid UTF-8, deeply nested → 400', async () => {
    const badUtf8 = new Uint8Array([
      ...new TextEncoder().encode('{"usernames":["'),
      0xc3,
      0x28,
      ...new TextEncoder().encode('"]}'),
    ]);
    await expectRejected([
      {
        method: 'POST',
        path: 'hub/api/users',
        raw: 'usernames=carl',
        contentType: 'application/x-www-form-urlencoded',
        status: 400,
      },
      { method: 'POST', path: 'hub/api/users', raw: '{"usernames": ["carl"]', status: 400 },
      { method: 'POST', path: 'hub/api/users', raw: "{'usernames': ['carl']}", status: 400 },
      { method: 'POST', path: 'hub/api/users', raw: '{"usernames": ["carl"]} trailing', status: 400 },
      { method: 'POST', path: 'hub/api/users', raw: badUtf8, status: 400 },
      { method: 'POST', path: 'hub/api/users/carl', raw: new Uint8Array([0xff, 0xfe, 0x7b, 0x7d]), status: 400 },
      { method: 'POST', path: 'hub/api/users', raw: `{"usernames": ${nested(100_000, '"carl"')}}`, status: 400 },
      { method: 'PATCH', path: 'hub/api/users/ann', raw: `{"auth_state": ${nestedObject(50_000)}}`, status: 400 },
      { method: 'PUT', path: 'hub/api/groups/team/properties', raw: nestedObject(50_000), status: 400 },
      { method: 'POST', path: 'hub/api/groups/team/users', raw: `{"users": ${nested(20_000)}}`, status: 400 },
      // NUL characters anywhere in a body (PostgreSQL cannot store them in text)
      { method: 'PATCH', path: 'hub/api/users/ann', body: { auth_state: { k: 'a\u0000b' } }, status: 400 },
      { method: 'PUT', path: 'hub/api/groups/team/properties', body: { 'k\u0000': 1 }, status: 400 },
      { method: 'POST', path: 'hub/api/users/ann/tokens', body: { note: 'a\u0000b' }, status: 400 },
    ]);
    // an escaped backslash followed by "u0000" is no NUL
    const literal = await h.request('PUT', 'hub/api/groups/team/properties', { body: { k: '\\u0000' } });
    assert.equal(literal.status, 200, literal.text);
    assert.equal(literal.json.properties.k, '\\u0000');
    // moderately nested values are fine
    const ok = await h.request('PUT', 'hub/api/groups/team/properties', { rawBody: nestedObject(50) });
    assert.equal(ok.status, 200, ok.text.slice(0, 200));
    await h.request('PUT', 'hub/api/groups/team/properties', { body: {} });
  });

  test('NUL characters in paths and query strings → 400 (PostgreSQL refuses them as parameters)', async () => {
    for (const path of [
      'hub/api/users/nul%00byte',
      'hub/api/users?name_filter=%00',
      'hub/api/groups/nul%00byte',
      'hub/api/users/ann%00/tokens',
    ]) {
      const r = await h.request('GET', path);
      assertJsonError(r, path, 400);
    }
  });

  test('without credentials a bad body still answers 403, not 400', async () => {
    for (const c of [
      { method: 'POST', path: 'hub/api/users', raw: '{"usernames": [' },
      { method: 'POST', path: 'hub/api/users', raw: '{}' },
      { method: 'PATCH', path: 'hub/api/users/ann', raw: '{"admin": "x"}' },
      { method: 'POST', path: 'hub/api/groups', raw: '[]' },
      { method: 'PUT', path: 'hub/api/groups/team/properties', raw: '"x"' },
    ]) {
      const r = await h.request(c.method, c.path, { token: null, rawBody: c.raw });
      assertJsonError(r, `${c.method} ${c.path}`, 403);
      assert.equal(r.json.message, 'Missing or invalid credentials.');
    }
  });

  test('valid unusual names: uppercase is lowercased, unicode round-trips through URL encoding', async () => {
    const upper = await h.request('POST', 'hub/api/users/MiXeD');
    assert.equal(upper.status, 201);
    assert.equal(upper.json.name, 'mixed');
    assert.equal((await h.request('GET', 'hub/api/users/mixed')).status, 200);
    const bulk = await h.request('POST', 'hub/api/users', {
      body: { usernames: ['UPPER', 'ÉMILE', 'zoë', '用户', 'dash-dot.under_score@example.org'] },
    });
    assert.equal(bulk.status, 201, bulk.text);
    assert.deepEqual(
      bulk.json.map((u: { name: string }) => u.name),
      ['upper', 'émile', 'zoë', '用户', 'dash-dot.under_score@example.org'],
    );
    for (const n of ['émile', 'zoë', '用户', 'dash-dot.under_score@example.org']) {
      const r = await h.request('GET', `hub/api/users/${encodeURIComponent(n)}`);
      assert.equal(r.status, 200, n);
      assert.equal(r.json.name, n);
    }
    const longest = 'l'.repeat(255);
    assert.equal((await h.request('POST', `hub/api/users/${longest}`)).status, 201);
    const grp = await h.request('POST', `hub/api/groups/${encodeURIComponent('équipe')}`, {
      body: { users: ['ÉMILE'] },
    });
    assert.equal(grp.status, 201, grp.text);
    assert.deepEqual(grp.json.users, ['émile']);
  });
});

describe('request bodies over max_body_size', () => {
  let h: TestHub;
  before(async () => {
    h = await startInProcessHub({ max_body_size: 1024 });
    await h.addUsers(['ann']);
  });
  after(() => h.stop());

  test('2 KiB to a 1 KiB limit → 413 JSON, nothing changed', async () => {
    const usernames = Array.from({ length: 300 }, (_, i) => `big-${i}`);
    const body = JSON.stringify({ usernames });
    assert.ok(body.length > 2048);
    for (const [method, path, raw] of [
      ['POST', 'hub/api/users', body],
      ['PATCH', 'hub/api/users/ann', JSON.stringify({ auth_state: { blob: 'x'.repeat(2048) } })],
      ['PUT', 'hub/api/groups/none/properties', JSON.stringify({ blob: 'x'.repeat(2048) })],
    ] as const) {
      const r = await h.request(method, path, { rawBody: raw, headers: { 'content-type': 'application/json' } });
      assertJsonError(r, `${method} ${path}`, 413);
    }
    const users = await h.request('GET', 'hub/api/users');
    assert.deepEqual(
      users.json.map((u: { name: string }) => u.name),
      ['admin', 'ann'],
    );
    assert.equal((await h.request('GET', 'hub/api/users/ann')).json.auth_state, null);
    // just under the limit is fine
    const small = await h.request('POST', 'hub/api/users', { body: { usernames: ['small-1', 'small-2'] } });
    assert.equal(small.status, 201);
  });
});
