import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestHub } from './harness.ts';
import { startInProcessHub } from './inprocess.ts';

describe('/hub/metrics', () => {
  let h: TestHub;
  before(async () => {
    h = await startInProcessHub();
    await h.addUsers(['mia']);
  });
  after(() => h.stop());

  test('needs read:metrics: no token 403, a user without it 403, an admin 200', async () => {
    assert.equal((await h.request('GET', 'hub/metrics', { token: null })).status, 403);
    const user = await h.tokenFor('mia');
    const denied = await h.request('GET', 'hub/metrics', { token: user });
    assert.equal(denied.status, 403);
    assert.deepEqual(denied.json.required_scopes, ['read:metrics']);
    assert.equal((await h.request('GET', 'hub/metrics')).status, 200);
  });

  test("serves JupyterHub's metric names and tshub's token metrics in Prometheus format", async () => {
    await h.request('GET', 'hub/api/user', { token: `tshub_${'x'.repeat(38)}` });
    const r = await h.request('GET', 'hub/metrics');
    assert.match(r.headers.get('content-type') ?? '', /text\/plain/);
    assert.match(r.text, /^jupyterhub_total_users 2$/m);
    assert.match(r.text, /^jupyterhub_running_servers 0$/m);
    assert.match(r.text, /^jupyterhub_active_users\{period="24h"\} \d+$/m);
    assert.match(r.text, /^jupyterhub_request_duration_seconds_bucket\{.*handler="\/hub\/api\/users".*\} \d+$/m);
    assert.match(r.text, /^# TYPE jupyterhub_server_spawn_duration_seconds histogram$/m);
    assert.match(r.text, /^tshub_active_tokens\{kind="api"\} \d+$/m);
    assert.match(r.text, /^tshub_auth_failures_total\{reason="token_malformed"\} 1$/m);
  });

  test('authenticate_prometheus: false makes it public', async () => {
    const open = await startInProcessHub({ authenticate_prometheus: false });
    try {
      assert.equal((await open.request('GET', 'hub/metrics', { token: null })).status, 200);
    } finally {
      await open.stop();
    }
  });
});
