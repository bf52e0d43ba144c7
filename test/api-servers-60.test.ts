// JupyterHub 6's server endpoints (GET/PUT/PATCH a server, GET the default one, the empty name for the
// default server), the proxy table's pagination and PATCH, and `(no_scope)` roles and tokens, end to end:
// the hub with its real proxy and a real single-user server for the "running" cases.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PAGINATION_MEDIA_TYPE } from '../src/api/pagination.ts';
import { startHub, type Reply, type TestHub } from './harness.ts';

async function until(what: string, check: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const refusal = (r: Reply) => ({ status: r.status, message: r.json?.message, reason: r.json?.reason });

describe('JupyterHub 6 server endpoints, proxy pagination, (no_scope)', () => {
  let h: TestHub;
  let alice: string;
  let bob: string;
  before(async () => {
    h = await startHub({
      slow_spawn_timeout: 0,
      allow_named_servers: true,
      named_server_limit_per_user: 3,
      spawner: { poll_interval: 1 },
      load_roles: [{ name: 'nothing-at-all', scopes: ['(no_scope)'], users: ['carol'] }],
    });
    await h.addUsers(['alice', 'bob', 'carol']);
    alice = await h.tokenFor('alice');
    bob = await h.tokenFor('bob');
  });
  after(() => h.stop());

  const serverPath = (user: string, server: string) => `hub/api/users/${user}/servers/${server}`;

  test('PUT creates a named server without starting it; GET shows it stopped; a second PUT is 409', async () => {
    const body = { display_name: 'My Lab', user_options: { flavour: 'mint' } };
    const r = await h.request('PUT', serverPath('alice', 'lab'), { token: alice, body });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.name, 'lab');
    assert.equal(r.json.full_name, 'alice/lab');
    assert.equal(r.json.display_name, 'My Lab');
    assert.equal(r.json.ready, false);
    assert.equal(r.json.stopped, true);
    assert.equal(r.json.pending, null);
    assert.equal(r.json.started, null);
    assert.equal(r.json.url, '/user/alice/lab/');
    assert.deepEqual(r.json.user_options, { flavour: 'mint' });
    const got = await h.request('GET', serverPath('alice', 'lab'), { token: alice });
    assert.equal(got.status, 200);
    assert.deepEqual(got.json, r.json);
    const user = await h.request('GET', 'hub/api/users/alice?include_stopped_servers', { token: alice });
    assert.equal(user.json.servers.lab.display_name, 'My Lab');
    assert.deepEqual(refusal(await h.request('PUT', serverPath('alice', 'lab'), { token: alice })), {
      status: 409,
      message: 'User alice already has server lab',
      reason: 'conflict',
    });
    assert.deepEqual(refusal(await h.request('PUT', serverPath('alice', ''), { token: alice })), {
      status: 409,
      message: 'User alice already has a default server',
      reason: 'conflict',
    });
    assert.equal((await h.request('PUT', 'hub/api/users/alice/server', { token: alice })).status, 409);
    // Without display_name the display name is the server's name; a bare body is user_options (as a POST's).
    const plain = await h.request('PUT', serverPath('alice', 'plain'), { token: alice, body: { size: 2 } });
    assert.equal(plain.status, 201, plain.text);
    assert.equal(plain.json.display_name, 'plain');
    assert.deepEqual(plain.json.user_options, { size: 2 });
  });

  test('bad names, bad bodies and the named-server limit are 400', async () => {
    const put = (server: string, body?: unknown) =>
      h.request('PUT', serverPath('alice', server), { token: alice, body });
    assert.deepEqual(refusal(await put('Bad--Name')), {
      status: 400,
      message: "Invalid server_name: 'Bad--Name'",
      reason: 'invalid_server_name',
    });
    for (const display_name of [' lead', 'trail ', 'two  spaces', 'bell\u0007', 'x'.repeat(256)]) {
      const r = await put('fine', { display_name });
      assert.equal(r.status, 400, display_name);
      assert.equal(r.json.reason, 'invalid_display_name');
    }
    assert.equal((await put('fine', { display_name: 7 })).status, 400);
    assert.equal((await put('fine', { user_options: [1] })).status, 400);
    const patch = (body: unknown) => h.request('PATCH', serverPath('alice', 'plain'), { token: alice, body });
    assert.deepEqual(refusal(await patch({})), {
      status: 400,
      message: 'Must specify at least one field to modify.',
      reason: 'invalid_request',
    });
    assert.equal((await patch({ colour: 'red' })).status, 400, 'an unknown field is refused');
    assert.equal((await patch({ name: 'No Spaces' })).json.reason, 'invalid_server_name');
    assert.equal((await patch({ name: '' })).json.reason, 'invalid_server_name');
    assert.equal((await patch({ user_options: 'x' })).status, 400);
    assert.equal((await h.request('PUT', serverPath('alice', 'third'), { token: alice })).status, 201);
    assert.deepEqual(refusal(await put('fourth')), {
      status: 400,
      message:
        'User alice already has the maximum of 3 named servers.  One must be deleted before a new server can be created',
      reason: 'named_server_limit',
    });
    assert.equal(
      (await h.request('DELETE', serverPath('alice', 'third'), { token: alice, body: { remove: true } })).status,
      204,
    );
  });

  test('PATCH renames a stopped server and sets its display name; a taken name is 409', async () => {
    const r = await h.request('PATCH', serverPath('alice', 'lab'), { token: alice, body: { name: 'lab2' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.name, 'lab2');
    assert.equal(r.json.display_name, 'My Lab', 'a display name of its own is kept');
    assert.deepEqual(r.json.user_options, { flavour: 'mint' });
    assert.equal((await h.request('GET', serverPath('alice', 'lab'), { token: alice })).status, 404);
    assert.equal((await h.request('GET', serverPath('alice', 'lab2'), { token: alice })).json.name, 'lab2');
    // A display name that was just the old name follows the rename.
    const plain = await h.request('PATCH', serverPath('alice', 'plain'), { token: alice, body: { name: 'simple' } });
    assert.equal(plain.json.display_name, 'simple');
    const shown = await h.request('PATCH', serverPath('alice', 'simple'), {
      token: alice,
      body: { display_name: 'Simple één', user_options: { size: 4 } },
    });
    assert.equal(shown.status, 200, shown.text);
    assert.equal(shown.json.display_name, 'Simple één');
    assert.deepEqual(shown.json.user_options, { size: 4 });
    assert.deepEqual(
      refusal(await h.request('PATCH', serverPath('alice', 'simple'), { token: alice, body: { name: 'lab2' } })),
      {
        status: 409,
        message: "User alice already has server 'lab2'",
        reason: 'conflict',
      },
    );
    assert.deepEqual(
      refusal(await h.request('PATCH', serverPath('alice', 'nosuch'), { token: alice, body: { display_name: 'x' } })),
      {
        status: 404,
        message: 'User alice has no such server nosuch',
        reason: 'not_found',
      },
    );
    await until('the rename is in the audit log', async () => {
      const audit = await h.request('GET', 'hub/api/audit?action=server.modify');
      return audit.json.some((e: { reason: string }) => e.reason === 'renamed to alice/lab2');
    });
  });

  test("others' servers: 404 without access, 403 without the scope; an admin may", async () => {
    for (const method of ['GET', 'PUT', 'PATCH']) {
      const r = await h.request(method, serverPath('alice', 'lab2'), {
        token: bob,
        body: method === 'PATCH' ? { display_name: 'x' } : undefined,
      });
      assert.equal(r.status, 404, `${method}: ${r.text}`);
    }
    const readOnly = await h.tokenFor('bob', { scopes: ['read:users:name!user=bob'] });
    assert.equal((await h.request('GET', serverPath('bob', ''), { token: readOnly })).status, 403);
    assert.equal((await h.request('GET', serverPath('alice', 'lab2'))).status, 200, 'the admin reads any server');
    assert.equal((await h.request('GET', serverPath('nobody', 'lab2'))).status, 404);
  });

  test('the default server by its empty name; a running server cannot be renamed', async () => {
    const stopped = await h.request('GET', 'hub/api/users/alice/server', { token: alice });
    assert.equal(stopped.status, 200, stopped.text);
    assert.equal(stopped.json.name, '');
    assert.equal(stopped.json.stopped, true);
    assert.deepEqual((await h.request('GET', serverPath('alice', ''), { token: alice })).json, stopped.json);

    const start = await h.request('POST', serverPath('alice', ''), { token: alice });
    assert.ok([201, 202].includes(start.status), start.text);
    await until('the default server is ready', async () => {
      const r = await h.request('GET', 'hub/api/users/alice/server', { token: alice });
      return r.json.ready === true;
    });
    assert.deepEqual(
      refusal(await h.request('PATCH', serverPath('alice', ''), { token: alice, body: { name: 'moved' } })),
      {
        status: 400,
        message: 'alice is active. Please stop it before modifying it.',
        reason: 'server_active',
      },
    );

    // The proxy table, paginated in upstream's envelope (items are the routes, keyed by routespec).
    const all = await h.request('GET', 'hub/api/proxy');
    assert.equal(all.status, 200);
    const specs = Object.keys(all.json).sort();
    assert.ok(specs.includes('/user/alice/'), specs.join());
    const page = await h.request('GET', 'hub/api/proxy?offset=1&limit=1', {
      headers: { accept: PAGINATION_MEDIA_TYPE },
    });
    assert.equal(page.status, 200, page.text);
    assert.deepEqual(Object.keys(page.json.items), [specs[1]]);
    assert.equal(page.json._pagination.offset, 1);
    assert.equal(page.json._pagination.limit, 1);
    assert.equal(page.json._pagination.total, specs.length);
    const plain = await h.request('GET', 'hub/api/proxy?offset=1&limit=1');
    assert.deepEqual(Object.keys(plain.json), [specs[1]], 'without the pagination media type: the bare table, paged');
    assert.equal((await h.request('GET', 'hub/api/proxy?limit=x')).status, 400);
    // PATCH ignores keys it does not use (upstream's ip/port/protocol) and re-syncs.
    assert.equal((await h.request('PATCH', 'hub/api/proxy', { body: { ip: '127.0.0.1', port: '1' } })).status, 200);
    assert.ok(Object.keys((await h.request('GET', 'hub/api/proxy')).json).includes('/user/alice/'));

    const stop = await h.request('DELETE', serverPath('alice', ''), { token: alice });
    assert.ok([202, 204].includes(stop.status), stop.text);
    await until('the default server is stopped', async () => {
      const r = await h.request('GET', 'hub/api/users/alice/server', { token: alice });
      return r.json.stopped === true;
    });
    const moved = await h.request('PATCH', serverPath('alice', ''), { token: alice, body: { name: 'moved' } });
    assert.equal(moved.status, 200, moved.text);
    assert.equal(moved.json.name, 'moved');
    const fresh = await h.request('GET', 'hub/api/users/alice/server', { token: alice });
    assert.equal(fresh.json.stopped, true, 'a new default server is there to start');
  });

  test('(no_scope): a role and a token holding only it are valid and grant nothing', async () => {
    const carol = await h.tokenFor('carol');
    const who = await h.request('GET', 'hub/api/user', { token: carol });
    assert.equal(who.status, 200);
    assert.ok(who.json.roles.includes('nothing-at-all'), JSON.stringify(who.json));
    const r = await h.request('POST', 'hub/api/users/alice/tokens', { token: alice, body: { scopes: ['(no_scope)'] } });
    assert.equal(r.status, 201, r.text);
    const me = await h.request('GET', 'hub/api/user', { token: r.json.token });
    assert.equal(me.status, 200);
    assert.equal(me.json.name, 'alice');
    assert.ok(
      !me.json.scopes.some((s: string) => s.startsWith('servers') || s.startsWith('read:users!')),
      me.json.scopes.join(),
    );
    assert.equal((await h.request('GET', serverPath('alice', 'lab2'), { token: r.json.token })).status, 403);
    assert.equal(
      (
        await h.request('POST', 'hub/api/users/alice/tokens', {
          token: alice,
          body: { scopes: ['(no_scope)!user=alice'] },
        })
      ).status,
      400,
    );
  });
});
