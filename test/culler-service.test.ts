import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHub, type TestHub } from './harness.ts';
import { waitFor } from './wait-for.ts';

// The idle culler as JupyterHub admins run it: a hub-managed service (`command: [tshub, cull, ...]`,
// permissions from load_roles), stopping a real idle single-user server while a busy one stays up.

const TIMEOUT = 10;

describe('the idle culler as a managed service', () => {
  let h: TestHub;
  before(async () => {
    h = await startHub({
      services: [{ name: 'idle-culler', command: ['tshub', 'cull', `--timeout=${TIMEOUT}`, '--cull-every=2'] }],
      load_roles: [
        {
          name: 'idle-culler',
          scopes: ['list:users', 'read:users:activity', 'read:servers', 'delete:servers'],
          services: ['idle-culler'],
        },
      ],
    });
    await h.addUsers(['idle', 'busy']);
  });
  after(() => h.stop());

  const ready = async (user: string) => (await h.request('GET', `hub/api/users/${user}`)).json.server !== null;

  test('stops the idle server and leaves the active one running', async () => {
    for (const u of ['idle', 'busy']) {
      const r = await h.request('POST', `hub/api/users/${u}/server`);
      assert.ok([201, 202].includes(r.status), r.text);
    }
    // 202 on a loaded machine (a start slower than slow_spawn_timeout): wait until both are up.
    for (const u of ['idle', 'busy']) await waitFor(`${u}'s server`, () => ready(u), 60_000);
    const started = Date.now();
    // Keep "busy" active the way its server would: activity reports through the API.
    const keepBusy = setInterval(() => {
      const now = new Date().toISOString();
      void h.request('POST', 'hub/api/users/busy/activity', {
        body: { last_activity: now, servers: { '': { last_activity: now } } },
      });
    }, 1000);
    try {
      const idleSince = Date.parse((await h.request('GET', 'hub/api/users/idle')).json.servers[''].last_activity);
      // Well before the timeout has passed, the culler must have left it alone.
      await new Promise((r) => setTimeout(r, Math.max(0, idleSince + (TIMEOUT - 4) * 1000 - Date.now())));
      assert.equal(await ready('idle'), true, 'not culled before it had been idle for the timeout');
      const deadline = started + (TIMEOUT + 30) * 1000;
      while ((await ready('idle')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
      assert.equal(await ready('idle'), false, 'the idle server was culled');
      assert.equal(await ready('busy'), true, 'the active server keeps running');
    } finally {
      clearInterval(keepBusy);
    }
    const culled = h.logs.join('').includes('idle-culler');
    assert.ok(culled, "the service's output is in the hub's log");
    const services = await h.request('GET', 'hub/api/services');
    assert.ok(services.json['idle-culler'].pid > 0, 'the culler runs as a managed process');
  });
});
