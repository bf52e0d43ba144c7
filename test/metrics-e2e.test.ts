import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Browser } from './browser-session.ts';
import { startHub, type TestHub } from './harness.ts';
import { histogramCount, parseExposition, type Scrape } from './metrics-upstream.ts';

// The metrics where the work happens, on a real hub: a real proxy, a real single-user server.

async function until(what: string, check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('metrics observed by logins, spawns, stops, the proxy and start-up', () => {
  let h: TestHub;
  const scrape = async (): Promise<Scrape> => {
    const r = await h.request('GET', 'hub/api/metrics');
    assert.equal(r.status, 200, r.text);
    return parseExposition(r.text);
  };
  const count = async (name: string, labels: Record<string, string> = {}) =>
    histogramCount(await scrape(), `jupyterhub_${name}`, labels);

  before(async () => {
    h = await startHub({
      authenticator: { password: 'secret' },
      spawner: { poll_interval: 1, poll_jitter: 0 },
      active_server_limit: 1,
    });
  });
  after(() => h?.stop());

  test('start-up: hub_startup, init_spawners and the first check_routes (with its proxy poll) once each', async () => {
    const s = await scrape();
    assert.equal(histogramCount(s, 'jupyterhub_hub_startup_duration_seconds'), 1);
    assert.equal(histogramCount(s, 'jupyterhub_init_spawners_duration_seconds'), 1);
    assert.ok(histogramCount(s, 'jupyterhub_check_routes_duration_seconds') >= 1);
    assert.ok(histogramCount(s, 'jupyterhub_proxy_poll_duration_seconds') >= 1);
    assert.ok(histogramCount(s, 'jupyterhub_event_loop_interval_seconds') >= 1);
  });

  test('a failed login, a login and a logout are counted by status', async () => {
    const mia = new Browser(h);
    assert.equal((await mia.login('mia', 'wrong')).status, 403);
    assert.equal((await mia.login('mia', 'secret')).status, 302);
    const out = await mia.get('hub/logout');
    assert.equal(out.status, 302);
    const s = await scrape();
    assert.equal(histogramCount(s, 'jupyterhub_login_duration_seconds', { status: 'failure' }), 1);
    assert.equal(histogramCount(s, 'jupyterhub_login_duration_seconds', { status: 'success' }), 1);
    assert.equal(histogramCount(s, 'jupyterhub_logout_duration_seconds'), 1);
  });

  test('a spawn, its route, polls while it runs, its stop, and a start over active_server_limit (a failure, too-many-users)', async () => {
    const spawned = await h.request('POST', 'hub/api/users/mia/server');
    assert.ok([201, 202].includes(spawned.status), spawned.text);
    await until(
      'the server is ready',
      async () => (await count('server_spawn_duration_seconds', { status: 'success', reason: '' })) === 1,
      90_000,
    );
    assert.equal(await count('proxy_add_duration_seconds', { status: 'success' }), 1);
    await until(
      'the running server is polled',
      async () => (await count('server_poll_duration_seconds', { status: 'running' })) >= 1,
      10_000,
    );
    const running = await scrape();
    assert.equal(running.samples.find((x) => x.name === 'jupyterhub_running_servers')?.value, 1);
    await h.addUsers(['noa']);
    const refused = await h.request('POST', 'hub/api/users/noa/server');
    assert.equal(refused.status, 429, refused.text);
    assert.equal(await count('server_spawn_duration_seconds', { status: 'failure', reason: 'too-many-users' }), 1);

    const stopped = await h.request('DELETE', 'hub/api/users/mia/server');
    assert.ok([202, 204].includes(stopped.status), stopped.text);
    await until(
      'the server is stopped',
      async () => (await count('server_stop_seconds', { status: 'success' })) === 1,
      30_000,
    );
    const s = await scrape();
    assert.equal(histogramCount(s, 'jupyterhub_proxy_delete_duration_seconds', { status: 'success' }), 1);
    assert.equal(histogramCount(s, 'jupyterhub_server_spawn_duration_seconds', { status: 'error' }), 0);
    assert.ok(
      histogramCount(s, 'jupyterhub_request_duration_seconds', {
        handler: '/hub/api/users/:name/server',
        method: 'POST',
      }) >= 1,
    );
  });
});

describe('a server that exits before it answers', () => {
  let h: TestHub;
  before(async () => {
    // Outlives the process spawner's one-second check for a server that dies at once, so that it dies
    // while the hub waits for it to answer, where upstream observes `exited`.
    h = await startHub({ spawner: { cmd: ['sh', '-c', 'sleep 2; exit 3'] } });
  });
  after(() => h?.stop());

  test("is a spawn error with upstream's reason exited", async () => {
    await h.addUsers(['ola']);
    const r = await h.request('POST', 'hub/api/users/ola/server');
    assert.ok(r.status >= 400, `${r.status} ${r.text}`);
    const s = parseExposition((await h.request('GET', 'hub/metrics')).text);
    assert.equal(
      histogramCount(s, 'jupyterhub_server_spawn_duration_seconds', { status: 'error', reason: 'exited' }),
      1,
    );
    assert.equal(histogramCount(s, 'jupyterhub_server_spawn_duration_seconds', { status: 'success' }), 0);
  });
});
