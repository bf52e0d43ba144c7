/**
 * Conformance of the users API (API.md §9: 1, 2, 4–7, 10–16, 40) against the in-process hub.
 * Listing, pagination, filters and sorting (8, 9) and bulk creation: test/api-users-listing.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Reply, TestHub } from './harness.ts';
import { startInProcessHub } from './inprocess.ts';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
const SVC_TOKEN = 'service-token-for-whoami-0123456789';

const names = (r: Reply): string[] =>
  (Array.isArray(r.json) ? r.json : r.json.items).map((u: { name: string }) => u.name);

describe('users API', () => {
  let h: TestHub;
  before(async () => {
    h = await startInProcessHub({
      tokens: { max_active_per_user: 0 },
      services: [{ name: 'whoami-svc', api_token: SVC_TOKEN }],
      load_roles: [{ name: 'user-manager', scopes: ['admin:users'], users: ['manager'] }],
    });
    await h.addUsers(['alice', 'bob']);
  });
  after(() => h.stop());

  test('1: GET /hub/api/ needs no auth; /info has exactly the upstream keys (plus tshub_version, node)', async () => {
    const root = await h.request('GET', 'hub/api/', { token: null });
    assert.equal(root.status, 200);
    assert.equal(typeof root.json.version, 'string');
    const info = await h.request('GET', 'hub/api/info');
    assert.equal(info.status, 200);
    for (const key of ['authenticator', 'python', 'spawner', 'sys_executable', 'version'])
      assert.ok(key in info.json, key);
    assert.deepEqual(Object.keys(info.json.spawner).sort(), ['class', 'version']);
    assert.deepEqual(Object.keys(info.json.authenticator).sort(), ['class', 'version']);
    const asUser = await h.request('GET', 'hub/api/info', { token: await h.tokenFor('alice') });
    assert.equal(asUser.status, 403);
  });

  test('2: missing or invalid credentials → 403, never 401', async () => {
    for (const [method, path] of [
      ['GET', 'hub/api/users'],
      ['GET', 'hub/api/user'],
      ['POST', 'hub/api/users/zed'],
      ['GET', 'hub/api/users/alice'],
      ['DELETE', 'hub/api/users/alice'],
      ['GET', 'hub/api/groups'],
      ['GET', 'hub/api/services'],
    ] as const) {
      const none = await h.request(method, path, { token: null });
      assert.equal(none.status, 403, `${method} ${path}`);
      assert.equal(none.json.status, 403);
      assert.equal(none.json.message, 'Missing or invalid credentials.');
      assert.match(none.headers.get('content-type') ?? '', /^application\/json/);
    }
    const bad = await h.request('GET', 'hub/api/users', { token: 'not-a-real-token-at-all' });
    assert.equal(bad.status, 403);
    assert.equal(bad.json.message, 'Missing or invalid credentials.');
    assert.equal(bad.json.reason, 'token_unknown');
    const nosir = await h.request('GET', 'hub/api/user', { token: null, headers: { authorization: 'no sir' } });
    assert.equal(nosir.status, 403);
    assert.equal(nosir.json.message, 'Missing or invalid credentials.');
    // the user was not deleted by the unauthenticated DELETE above
    assert.equal((await h.request('GET', 'hub/api/users/alice')).status, 200);
  });

  test('5: a non-JSON or invalid UTF-8 body → 400 JSON; JSON sent as text/plain with a token is accepted', async () => {
    const notJson = await h.request('POST', 'hub/api/users', {
      rawBody: '{"usernames": [',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(notJson.status, 400);
    assert.equal(notJson.json.status, 400);
    assert.equal(notJson.json.message, 'Invalid JSON in body of request');
    const badUtf8 = await h.request('POST', 'hub/api/users', {
      rawBody: new Uint8Array([
        0x7b, 0x22, 0x75, 0x73, 0x65, 0x72, 0x6e, 0x61, 0x6d, 0x65, 0x73, 0x22, 0x3a, 0x5b, 0x22, 0xff, 0xfe, 0x22,
        0x5d, 0x7d,
      ]),
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(badUtf8.status, 400);
    assert.equal(badUtf8.json.status, 400);
    const plain = await h.request('POST', 'hub/api/users', {
      rawBody: JSON.stringify({ usernames: ['plain-text-user'] }),
      headers: { 'content-type': 'text/plain' },
    });
    assert.equal(plain.status, 201, plain.text);
    assert.deepEqual(names(plain), ['plain-text-user']);
    const noType = await h.request('POST', 'hub/api/users/no-content-type', { rawBody: '{"admin": false}' });
    assert.equal(noType.status, 201, noType.text);
    const charset = await h.request('POST', 'hub/api/users/with-charset', {
      rawBody: '{}',
      headers: { 'content-type': 'application/json; charset=UTF-8' },
    });
    assert.equal(charset.status, 201, charset.text);
  });

  test('6: a user token listing users → 403 requires list:users', async () => {
    const r = await h.request('GET', 'hub/api/users', { token: await h.tokenFor('alice') });
    assert.equal(r.status, 403);
    assert.equal(r.json.message, 'Action is not authorized with current scopes; requires any of [list:users]');
  });

  test('7: admin GET /users → full models', async () => {
    await h.hub.ctx.activity.flush();
    const r = await h.request('GET', 'hub/api/users');
    assert.equal(r.status, 200);
    assert.ok(Array.isArray(r.json));
    const alice = r.json.find((u: { name: string }) => u.name === 'alice');
    assert.deepEqual(Object.keys(alice).sort(), [
      'admin',
      'auth_state',
      'created',
      'groups',
      'kind',
      'last_activity',
      'name',
      'pending',
      'roles',
      'server',
      'servers',
      'user_info',
    ]);
    assert.equal(alice.kind, 'user');
    assert.equal(alice.admin, false);
    assert.deepEqual(alice.roles, ['user']);
    assert.deepEqual(alice.groups, []);
    assert.equal(alice.server, null);
    assert.equal(alice.pending, null);
    assert.equal(alice.auth_state, null);
    assert.equal(alice.user_info, null);
    assert.deepEqual(alice.servers, {});
    assert.match(alice.created, ISO);
    const admin = r.json.find((u: { name: string }) => u.name === 'admin');
    assert.equal(admin.admin, true);
    assert.deepEqual(admin.roles, ['admin', 'user']);
    assert.match(admin.last_activity ?? '', ISO);
  });

  test('10: whoami of a user token has token_id and sorted scopes; of a service token kind service', async () => {
    const token = await h.tokenFor('alice');
    const r = await h.request('GET', 'hub/api/user', { token });
    assert.equal(r.status, 200);
    assert.equal(r.json.kind, 'user');
    assert.equal(r.json.name, 'alice');
    assert.match(r.json.token_id, /^a\d+$/);
    assert.ok(Array.isArray(r.json.scopes));
    assert.deepEqual(r.json.scopes, [...r.json.scopes].sort());
    assert.ok(r.json.scopes.includes('read:users!user=alice'));
    assert.ok(r.json.scopes.includes('access:servers!user=alice'));
    assert.ok(!('auth_state' in r.json));
    const tokens = await h.request('GET', 'hub/api/users/alice/tokens');
    assert.ok(tokens.json.api_tokens.some((t: { id: string }) => t.id === r.json.token_id));

    const svc = await h.request('GET', 'hub/api/user', { token: SVC_TOKEN });
    assert.equal(svc.status, 200, svc.text);
    assert.equal(svc.json.kind, 'service');
    assert.equal(svc.json.name, 'whoami-svc');
    assert.ok(!('servers' in svc.json));
    // the identify scope granted for whoami is not reported
    assert.deepEqual(svc.json.scopes, []);
  });

  test('11: POST /users/{name} → 201 with role user only; a repeat → 409', async () => {
    const r = await h.request('POST', 'hub/api/users/carol');
    assert.equal(r.status, 201);
    assert.equal(r.json.name, 'carol');
    assert.equal(r.json.admin, false);
    assert.deepEqual(r.json.roles, ['user']);
    const again = await h.request('POST', 'hub/api/users/carol');
    assert.equal(again.status, 409);
    assert.equal(again.json.message, 'User carol already exists');
    const admin = await h.request('POST', 'hub/api/users/carol-admin', { body: { admin: true } });
    assert.equal(admin.status, 201);
    assert.equal(admin.json.admin, true);
    assert.deepEqual(admin.json.roles, ['admin', 'user']);
  });

  test('12: bulk create: new → 201, repeat → 409, a mix → only the new ones; bad bodies and names → 400', async () => {
    const r = await h.request('POST', 'hub/api/users', { body: { usernames: ['a', 'b'] } });
    assert.equal(r.status, 201);
    assert.deepEqual(names(r), ['a', 'b']);
    assert.deepEqual(
      r.json.map((u: { roles: string[] }) => u.roles),
      [['user'], ['user']],
    );
    const again = await h.request('POST', 'hub/api/users', { body: { usernames: ['a', 'b'] } });
    assert.equal(again.status, 409);
    assert.equal(again.json.message, 'All 2 users already exist');
    const mix = await h.request('POST', 'hub/api/users', { body: { usernames: ['a', 'b', 'ab'] } });
    assert.equal(mix.status, 201);
    assert.deepEqual(names(mix), ['ab']);
    for (const body of [{}, [], { usernames: [] }]) {
      const bad = await h.request('POST', 'hub/api/users', { body });
      assert.equal(bad.status, 400, JSON.stringify(body));
    }
    const empty = await h.request('POST', 'hub/api/users', { rawBody: '' });
    assert.equal(empty.status, 400);
    // other keys of upstream's user model are accepted and ignored, as upstream does
    const extra = await h.request('POST', 'hub/api/users', {
      body: { usernames: ['extra-keys'], groups: [], roles: [], name: 'x', auth_state: {} },
    });
    assert.equal(extra.status, 201, extra.text);
    assert.deepEqual(extra.json[0].groups, []);
    assert.deepEqual(extra.json[0].roles, ['user']);
    const one = await h.request('POST', 'hub/api/users/extra-keys-2', { body: { admin: false, groups: ['x'] } });
    assert.equal(one.status, 201, one.text);
  });

  test('12: invalid usernames → 400 listing the normalized names, nothing created', async () => {
    const h2 = await startInProcessHub({ authenticator: { username_pattern: 'w.*' } });
    try {
      const r = await h2.request('POST', 'hub/api/users', { body: { usernames: ['Willow', 'Andrew', 'Tara'] } });
      assert.equal(r.status, 400);
      assert.equal(r.json.message, 'Invalid usernames: andrew, tara');
      const one = await h2.request('POST', 'hub/api/users', { body: { usernames: ['Willow', 'Xander'] } });
      assert.equal(one.json.message, 'Invalid username: xander');
      assert.equal((await h2.request('GET', 'hub/api/users/willow')).status, 404);
    } finally {
      await h2.stop();
    }
  });

  test('13: admin:true by a non-admin holding admin:users → 403 (create, bulk create, patch)', async () => {
    const token = await h.tokenFor('manager');
    const created = await h.request('POST', 'hub/api/users/by-manager', { token });
    assert.equal(created.status, 201);
    const one = await h.request('POST', 'hub/api/users/mgr-admin', { token, body: { admin: true } });
    assert.equal(one.status, 403);
    assert.equal(one.json.message, 'Only admins can grant admin permissions');
    const bulk = await h.request('POST', 'hub/api/users', { token, body: { usernames: ['mgr-admin2'], admin: true } });
    assert.equal(bulk.status, 403);
    const patch = await h.request('PATCH', 'hub/api/users/by-manager', { token, body: { admin: true } });
    assert.equal(patch.status, 403);
    for (const n of ['mgr-admin', 'mgr-admin2'])
      assert.equal((await h.request('GET', `hub/api/users/${n}`)).status, 404);
    assert.equal((await h.request('GET', 'hub/api/users/by-manager')).json.admin, false);
    // the admin can
    const byAdmin = await h.request('PATCH', 'hub/api/users/by-manager', { body: { admin: true } });
    assert.equal(byAdmin.status, 200);
    assert.equal(byAdmin.json.admin, true);
    assert.deepEqual(byAdmin.json.roles, ['admin', 'user']);
    const back = await h.request('PATCH', 'hub/api/users/by-manager', { body: { admin: false } });
    assert.deepEqual(back.json.roles, ['user']);
  });

  test('14: PATCH rename keeps the user (tokens, created, groups); a non-admin renaming an admin → 403', async () => {
    await h.addUsers(['renamee']);
    const token = await h.tokenFor('renamee');
    await h.request('POST', 'hub/api/groups/rename-grp', { body: { users: ['renamee'] } });
    const before = (await h.request('GET', 'hub/api/users/renamee')).json;
    const r = await h.request('PATCH', 'hub/api/users/renamee', { body: { name: 'renamed' } });
    assert.equal(r.status, 200);
    assert.equal(r.json.name, 'renamed');
    assert.equal(r.json.created, before.created);
    assert.deepEqual(r.json.groups, ['rename-grp']);
    assert.equal((await h.request('GET', 'hub/api/users/renamee')).status, 404);
    const who = await h.request('GET', 'hub/api/user', { token });
    assert.equal(who.status, 200);
    assert.equal(who.json.name, 'renamed');
    // the same name (after normalization) is no rename and no conflict
    const same = await h.request('PATCH', 'hub/api/users/renamed', { body: { name: 'Renamed' } });
    assert.equal(same.status, 200, same.text);
    assert.equal(same.json.name, 'renamed');
    // a taken name → 400 (upstream), the user unchanged
    const taken = await h.request('PATCH', 'hub/api/users/renamed', { body: { name: 'alice' } });
    assert.equal(taken.status, 400);
    assert.equal(taken.json.message, 'User alice already exists, username must be unique');
    const missing = await h.request('PATCH', 'hub/api/users/nobody-here', { body: { name: 'x' } });
    assert.equal(missing.status, 404);
    const mgr = await h.tokenFor('manager');
    const r2 = await h.request('PATCH', 'hub/api/users/admin', { token: mgr, body: { name: 'not-admin' } });
    assert.equal(r2.status, 403);
    assert.equal(r2.json.message, 'Only admins can modify other admins');
    assert.equal((await h.request('GET', 'hub/api/users/admin')).status, 200);
  });

  test("15: auth_state: a user cannot set it; admin GET shows it; the user's own model has no auth_state key", async () => {
    const token = await h.tokenFor('bob');
    const own = await h.request('PATCH', 'hub/api/users/bob', { token, body: { auth_state: { secret: 'mine' } } });
    assert.equal(own.status, 403);
    const set = await h.request('PATCH', 'hub/api/users/bob', { body: { auth_state: { secret: 'hello' } } });
    assert.equal(set.status, 200);
    assert.deepEqual(set.json.auth_state, { secret: 'hello' });
    const admin = await h.request('GET', 'hub/api/users/bob');
    assert.deepEqual(admin.json.auth_state, { secret: 'hello' });
    // listings carry only the placeholder, as upstream
    const list = await h.request('GET', 'hub/api/users?name_filter=bob');
    assert.equal(list.json.find((u: { name: string }) => u.name === 'bob').auth_state, null);
    const self = await h.request('GET', 'hub/api/users/bob', { token });
    assert.equal(self.status, 200);
    assert.ok(!('auth_state' in self.json));
    assert.equal(self.json.name, 'bob');
    const cleared = await h.request('PATCH', 'hub/api/users/bob', { body: { auth_state: null } });
    assert.equal(cleared.json.auth_state, null);
  });

  test('16: a user reading another or a missing user → 404, itself → 200', async () => {
    const token = await h.tokenFor('alice');
    assert.equal((await h.request('GET', 'hub/api/users/alice', { token })).status, 200);
    const other = await h.request('GET', 'hub/api/users/bob', { token });
    assert.equal(other.status, 404);
    assert.equal(other.json.message, 'No access to resources or resources not found');
    const missing = await h.request('GET', 'hub/api/users/no-such-user', { token });
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.json, other.json);
    assert.equal((await h.request('GET', 'hub/api/users/no-such-user')).status, 404);
  });

  test('DELETE /users/{name}: 204, then 404; deleting yourself → 400', async () => {
    await h.addUsers(['doomed']);
    const r = await h.request('DELETE', 'hub/api/users/doomed');
    assert.equal(r.status, 204);
    assert.equal(r.text, '');
    assert.equal((await h.request('GET', 'hub/api/users/doomed')).status, 404);
    assert.equal((await h.request('DELETE', 'hub/api/users/doomed')).status, 404);
    const self = await h.request('DELETE', 'hub/api/users/admin');
    assert.equal(self.status, 400);
    assert.equal(self.json.message, 'Cannot delete yourself!');
  });

  test('40: OPTIONS → 200 with Access-Control-Allow-Headers; CSP on API and non-API responses', async () => {
    for (const path of ['hub/api/users', 'hub/api/users/alice', 'hub/api/groups/x/users']) {
      const r = await h.request('OPTIONS', path, { token: null });
      assert.equal(r.status, 200, path);
      assert.ok(r.headers.get('access-control-allow-headers'), path);
    }
    const api = await h.request('GET', 'hub/api/users');
    const csp = api.headers.get('content-security-policy') ?? '';
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /report-uri \/hub\/security\/csp-report/);
    const err = await h.request('GET', 'hub/api/nope');
    assert.equal(err.status, 404);
    assert.match(err.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    assert.ok(err.headers.get('x-jupyterhub-version'));
    const page = await h.request('GET', 'hub/health', { token: null });
    const pageCsp = page.headers.get('content-security-policy') ?? '';
    assert.match(pageCsp, /frame-ancestors 'none'/);
    assert.doesNotMatch(pageCsp, /default-src/);
  });
});
