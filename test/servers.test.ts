import { executeOverChannels } from './kernel-execute.ts';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isAlive } from '../src/lib/process.ts';
import { startHub, type TestHub } from './harness.ts';

// End to end with the real parts: Debian's jupyterhub-singleuser behind the real configurable-http-proxy.

/** Reads a text/event-stream to its end and returns the JSON events. */
async function readEvents(h: TestHub, path: string, token: string): Promise<any[]> {
  const res = await fetch(new URL(path, h.url), {
    headers: { authorization: `token ${token}` },
    signal: AbortSignal.timeout(90_000),
  });
  assert.equal(res.status, 200, await res.clone().text());
  assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
  const text = await res.text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => JSON.parse(l.slice(6)));
}

async function serverPid(h: TestHub, user: string, server = ''): Promise<number> {
  const row = await h.hub.ctx.k
    .selectFrom('spawners')
    .innerJoin('users', 'users.id', 'spawners.user_id')
    .select('spawners.state')
    .where('users.name', '=', user)
    .where('spawners.name', '=', server)
    .executeTakeFirstOrThrow();
  return JSON.parse(row.state).pid as number;
}

async function until(what: string, check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Runs `code` in a fresh kernel over the kernel's WebSocket, through the proxy, and returns text/plain of the result. */
async function runInKernel(h: TestHub, user: string, token: string, code: string): Promise<string> {
  const k = await h.request('POST', `user/${user}/api/kernels`, { token, body: {} });
  assert.equal(k.status, 201, k.text);
  const kernelId = k.json.id as string;
  const url = new URL(`user/${user}/api/kernels/${kernelId}/channels`, h.url);
  url.protocol = 'ws:';
  try {
    return await executeOverChannels({ url: url.href, code, init: { headers: { authorization: `token ${token}` } } });
  } finally {
    await h.request('DELETE', `user/${user}/api/kernels/${kernelId}`, { token });
  }
}

describe('single-user servers through the API and the proxy', () => {
  let h: TestHub;
  let alice: string;
  let bob: string;
  before(async () => {
    h = await startHub({
      slow_spawn_timeout: 0,
      allow_named_servers: true,
      named_server_limit_per_user: 2,
      spawner: { poll_interval: 1 },
    });
    await h.addUsers(['alice', 'bob', 'carol']);
    alice = await h.tokenFor('alice');
    bob = await h.tokenFor('bob');
  });
  after(() => h.stop());

  test('start, follow progress to ready, reach it through the proxy, run 1+1 in a kernel, stop', async () => {
    const r = await h.request('POST', 'hub/api/users/alice/server', { token: alice, body: { s: ['value'], i: 5 } });
    assert.equal(r.status, 202, r.text);
    const events = await readEvents(h, 'hub/api/users/alice/server/progress', alice);
    assert.deepEqual(events[0], { progress: 0, message: 'Server requested' });
    assert.ok(
      events.some((e) => e.progress === 50 && e.message === 'Spawning server...'),
      JSON.stringify(events),
    );
    const last = events.at(-1);
    assert.equal(last.ready, true);
    assert.equal(last.url, '/user/alice/');

    const model = await h.request('GET', 'hub/api/users/alice', { token: alice });
    assert.equal(model.json.server, '/user/alice/');
    assert.deepEqual(model.json.servers[''].user_options, { s: ['value'], i: 5 });
    assert.equal(model.json.servers[''].ready, true);

    const own = await h.request('GET', 'user/alice/api/status', { token: alice });
    assert.equal(own.status, 200, own.text);
    const other = await h.request('GET', 'user/alice/api/status', { token: bob });
    assert.equal(other.status, 403);

    assert.equal(await runInKernel(h, 'alice', alice, '1+1'), '2');

    const pid = await serverPid(h, 'alice');
    const stop = await h.request('DELETE', 'hub/api/users/alice/server', { token: alice });
    assert.equal(stop.status, 204, stop.text);
    assert.equal(isAlive(pid), false);
    const routes = await h.request('GET', 'hub/api/proxy');
    assert.deepEqual(Object.keys(routes.json), ['/']);
    const after = await h.request('GET', 'hub/api/users/alice', { token: alice });
    assert.equal(after.json.server, null);
    const tokens = await h.hub.ctx.k
      .selectFrom('api_tokens')
      .select('id')
      .where('kind', '=', 'server')
      .where('revoked_at', 'is', null)
      .execute();
    assert.equal(tokens.length, 0, 'the server token is revoked with the server');
  });

  test('a respawn without a body reuses the last user_options; a second start while running is refused', async () => {
    const first = await h.request('POST', 'hub/api/users/alice/server', { token: alice });
    assert.equal(first.status, 202);
    await readEvents(h, 'hub/api/users/alice/server/progress', alice);
    const model = await h.request('GET', 'hub/api/users/alice', { token: alice });
    assert.deepEqual(model.json.servers[''].user_options, { s: ['value'], i: 5 });
    const again = await h.request('POST', 'hub/api/users/alice/server', { token: alice });
    assert.equal(again.status, 400);
    assert.match(again.json.message, /already running/);
    assert.equal((await h.request('DELETE', 'hub/api/users/alice/server', { token: alice })).status, 204);
  });

  test('the server token reports activity for its own user only', async () => {
    assert.equal((await h.request('POST', 'hub/api/users/bob/server', { token: bob })).status, 202);
    await readEvents(h, 'hub/api/users/bob/server/progress', bob);
    const row = await h.hub.ctx.k
      .selectFrom('api_tokens')
      .select('id')
      .where('kind', '=', 'server')
      .where('revoked_at', 'is', null)
      .executeTakeFirstOrThrow();
    // The server's own token is only in its environment; mint the equivalent scopes to call as it would.
    const serverScoped = await h.tokenFor('bob', { scopes: ['users:activity!user=bob', 'access:servers!server=bob/'] });
    const ts = new Date().toISOString();
    const ok = await h.request('POST', 'hub/api/users/bob/activity', {
      token: serverScoped,
      body: { last_activity: ts, servers: { '': { last_activity: ts } } },
    });
    assert.equal(ok.status, 200, ok.text);
    const denied = await h.request('POST', 'hub/api/users/alice/activity', {
      token: serverScoped,
      body: { last_activity: ts },
    });
    assert.equal(denied.status, 404);
    assert.ok(row.id > 0);
    assert.equal((await h.request('DELETE', 'hub/api/users/bob/server', { token: bob })).status, 204);
  });

  test('named servers: start, limit, invalid names, remove', async () => {
    const lab = await h.request('POST', 'hub/api/users/carol/servers/lab', {});
    assert.equal(lab.status, 202, lab.text);
    await readEvents(h, 'hub/api/users/carol/servers/lab/progress', h.adminToken);
    const reach = await h.request('GET', 'user/carol/lab/api/status');
    assert.equal(reach.status, 200, reach.text);
    assert.equal((await h.request('POST', 'hub/api/users/carol/servers/server--abc-def')).status, 400);
    assert.equal((await h.request('POST', 'hub/api/users/carol/servers/two')).status, 202);
    await readEvents(h, 'hub/api/users/carol/servers/two/progress', h.adminToken);
    const third = await h.request('POST', 'hub/api/users/carol/servers/three');
    assert.equal(third.status, 400);
    assert.match(third.json.message, /maximum of 2 named servers/);
    assert.equal((await h.request('DELETE', 'hub/api/users/carol/servers/two')).status, 204);
    const kept = await h.request('GET', 'hub/api/users/carol?include_stopped_servers=1');
    assert.ok('two' in kept.json.servers, 'a stopped named server is kept');
    assert.equal(
      (await h.request('DELETE', 'hub/api/users/carol/servers/two', { body: { remove: true } })).status,
      204,
    );
    const gone = await h.request('GET', 'hub/api/users/carol?include_stopped_servers=1');
    assert.ok(!('two' in gone.json.servers), 'remove deletes the named server');
    assert.equal((await h.request('DELETE', 'hub/api/users/carol/server', { body: { remove: true } })).status, 400);
    assert.equal((await h.request('DELETE', 'hub/api/users/carol/servers/nosuch')).status, 404);
    assert.equal((await h.request('DELETE', 'hub/api/users/carol/servers/lab')).status, 204);
  });

  test('unknown users get 404', async () => {
    assert.equal((await h.request('POST', 'hub/api/users/nobody/server')).status, 404);
    assert.equal((await h.request('DELETE', 'hub/api/users/nobody/server')).status, 404);
    assert.equal((await h.request('GET', 'hub/api/users/nobody/server/progress')).status, 404);
  });

  test('a server that dies on its own is noticed: route removed, shown stopped', async () => {
    assert.equal((await h.request('POST', 'hub/api/users/alice/server', { token: alice })).status, 202);
    await readEvents(h, 'hub/api/users/alice/server/progress', alice);
    const pid = await serverPid(h, 'alice');
    process.kill(-pid, 'SIGKILL');
    await until(
      'the hub notices the dead server',
      async () => (await h.request('GET', 'hub/api/users/alice', { token: alice })).json.server === null,
    );
    const routes = await h.request('GET', 'hub/api/proxy');
    assert.ok(!('/user/alice/' in routes.json));
  });
});

describe('server start failures and limits', () => {
  test('a command that cannot start: the stream says why, the server is stopped, nothing left behind', async () => {
    const h = await startHub({ slow_spawn_timeout: 0, spawner: { cmd: ['/nonexistent/jupyterhub-singleuser'] } });
    try {
      await h.addUsers(['dave']);
      const r = await h.request('POST', 'hub/api/users/dave/server');
      assert.ok(r.status === 202 || r.status === 500, `${r.status} ${r.text}`);
      const events = await readEvents(h, 'hub/api/users/dave/server/progress', h.adminToken);
      const last = events.at(-1);
      assert.equal(last.failed, true);
      assert.match(last.message, /^Spawn failed: .*nonexistent/);
      const model = await h.request('GET', 'hub/api/users/dave?include_stopped_servers=1');
      assert.equal(model.json.server, null);
      assert.equal(model.json.servers['']?.ready ?? false, false);
      const live = await h.hub.ctx.k
        .selectFrom('api_tokens')
        .select('id')
        .where('kind', '=', 'server')
        .where('revoked_at', 'is', null)
        .execute();
      assert.equal(live.length, 0);
      const clients = await h.hub.ctx.k.selectFrom('oauth_clients').select('identifier').execute();
      assert.equal(clients.length, 0);
    } finally {
      await h.stop();
    }
  });

  test('active_server_limit answers 429 with Retry-After', async () => {
    const h = await startHub({ active_server_limit: 1 });
    try {
      await h.addUsers(['erin', 'frank']);
      // 202 on a loaded machine (a start slower than slow_spawn_timeout). The limit counts a start still
      // pending as active (ServerManager.activeCount), so the next start is refused either way.
      const first = await h.request('POST', 'hub/api/users/erin/server');
      assert.ok([201, 202].includes(first.status), first.text);
      const r = await h.request('POST', 'hub/api/users/frank/server');
      assert.equal(r.status, 429);
      assert.ok(Number(r.headers.get('retry-after')) > 0);
    } finally {
      await h.stop();
    }
  });
});
