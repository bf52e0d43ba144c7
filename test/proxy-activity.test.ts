import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { syncProxyActivity } from '../src/servers/proxy-activity.ts';
import { startHub, type TestHub } from './harness.ts';

describe('traffic through the proxy counts as activity', () => {
  let h: TestHub;
  before(async () => {
    h = await startHub();
    await h.addUsers(['vera']);
  });
  after(() => h.stop());

  test("a request through the proxy moves the server's and the user's last_activity forward", async () => {
    assert.equal((await h.request('POST', 'hub/api/users/vera/server')).status, 201);
    const before = (await h.request('GET', 'hub/api/users/vera')).json;
    await new Promise((r) => setTimeout(r, 1100));
    const t = Date.now();
    assert.equal((await h.request('GET', 'user/vera/api/status')).status, 200);
    assert.ok((await syncProxyActivity(h.hub.ctx.k, h.hub.proxy)) >= 1);
    const after = (await h.request('GET', 'hub/api/users/vera')).json;
    assert.ok(
      Date.parse(after.servers[''].last_activity) >= t - 1000,
      `${before.servers[''].last_activity} -> ${after.servers[''].last_activity}`,
    );
    assert.ok(Date.parse(after.servers[''].last_activity) > Date.parse(before.servers[''].last_activity));
    assert.ok(Date.parse(after.last_activity) >= Date.parse(after.servers[''].last_activity) - 1);
  });
});
