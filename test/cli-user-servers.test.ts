import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHub, type TestHub } from './harness.ts';
import { runTshub } from './process.ts';

// End to end: the CLI starts and stops a real jupyterhub-singleuser through the hub's API, following its progress.
describe('tshub servers (user side, real single-user servers)', () => {
  let h: TestHub;
  let as: string[];
  const env = { JUPYTERHUB_API_TOKEN: undefined, JUPYTERHUB_API_URL: undefined, XDG_CONFIG_HOME: '/nonexistent' };
  const cli = (args: string[]) => runTshub(args, env);

  before(async () => {
    h = await startHub({
      slow_spawn_timeout: 0,
      allow_named_servers: true,
      named_server_limit_per_user: 2,
      spawner: { poll_interval: 1 },
    });
    await h.addUsers(['alice']);
    as = ['--url', h.url, '--token', await h.tokenFor('alice')];
  });
  after(() => h.stop());

  test('start follows progress to ready; list shows it; stop waits until it has stopped', async () => {
    const start = await cli(['servers', 'start', ...as]);
    assert.equal(start.code, 0, start.stderr);
    assert.match(start.stdout, /^\[ {2}0%\] Server requested$/m);
    assert.match(start.stdout, /^\[100%\] .+$/m);
    assert.match(start.stdout, new RegExp(`^ready: ${h.url}user/alice/$`, 'm'));
    assert.equal((await h.request('GET', 'user/alice/api/status')).status, 200);

    const list = await cli(['servers', 'list', ...as, '--json']);
    assert.equal(list.code, 0, list.stderr);
    const servers = JSON.parse(list.stdout);
    assert.equal(servers.length, 1);
    assert.equal(servers[0].name, '');
    assert.equal(servers[0].ready, true);
    const table = await cli(['servers', 'list', ...as]);
    assert.match(table.stdout, /^\(default\)\s+ready\s+\/user\/alice\//m);

    const again = await cli(['servers', 'start', ...as]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^tshub servers start: 400 .*already running/m);

    const stop = await cli(['servers', 'stop', ...as, '--json']);
    assert.equal(stop.code, 0, stop.stderr);
    assert.deepEqual(JSON.parse(stop.stdout), { name: '', status: 'stopped' });
    const user = await h.request('GET', 'hub/api/users/alice');
    assert.deepEqual(user.json.servers, {});
  });

  test('a named server with --json: the progress events in one document; --no-wait returns at once', async () => {
    const start = await cli(['servers', 'start', 'lab', ...as, '--json']);
    assert.equal(start.code, 0, start.stderr);
    const out = JSON.parse(start.stdout);
    assert.equal(out.name, 'lab');
    assert.equal(out.ready, true);
    assert.equal(out.url, '/user/alice/lab/');
    assert.deepEqual(out.events[0], { progress: 0, message: 'Server requested' });
    assert.equal(out.events.at(-1).ready, true);

    const stop = await cli(['servers', 'stop', 'lab', ...as, '--no-wait']);
    assert.equal(stop.code, 0, stop.stderr);
    assert.match(stop.stdout, /^server 'lab' (stopped|is stopping)\n$/);

    const quick = await cli(['servers', 'start', 'two', ...as, '--no-wait', '--json']);
    assert.equal(quick.code, 0, quick.stderr);
    assert.equal(JSON.parse(quick.stdout).name, 'two');
    const done = await cli(['servers', 'stop', 'two', ...as]);
    assert.equal(done.code, 0, done.stderr);
    assert.equal(done.stdout, "server 'two' stopped\n");
  });

  test('a server that is not there: the hub says so (exit 1)', async () => {
    const r = await cli(['servers', 'stop', 'nothere', ...as]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^tshub servers stop: 404 /);
  });

  test('a server that cannot start: exit 1 with why (the progress stream, or the hub at once)', async () => {
    const bad = await startHub({ slow_spawn_timeout: 0, spawner: { cmd: ['/nonexistent/jupyterhub-singleuser'] } });
    try {
      await bad.addUsers(['dave']);
      const r = await cli(['servers', 'start', '--url', bad.url, '--token', await bad.tokenFor('dave')]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^tshub servers start: (default server failed to start: |500 ).*nonexistent/m);
    } finally {
      await bad.stop();
    }
  });
});
