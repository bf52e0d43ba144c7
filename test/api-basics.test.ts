import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestHub } from './harness.ts';
import { startInProcessHub } from './inprocess.ts';

describe('hub API basics', () => {
  let h: TestHub;
  before(async () => {
    h = await startInProcessHub();
  });
  after(() => h.stop());

  test('GET /hub/api/ needs no auth and reports the API version', async () => {
    const r = await h.request('GET', 'hub/api/', { token: null });
    assert.equal(r.status, 200);
    assert.equal(r.json.version, '5.3.0');
    assert.equal(r.headers.get('access-control-allow-origin'), '*');
    assert.ok(r.headers.get('x-jupyterhub-version'));
  });

  test('no credentials → 403 with reason, never 401', async () => {
    const r = await h.request('GET', 'hub/api/users', { token: null });
    assert.equal(r.status, 403);
    assert.deepEqual(r.json, {
      status: 403,
      message: 'Missing or invalid credentials.',
      reason: 'credentials_missing',
    });
    const bad = await h.request('GET', 'hub/api/users', { token: null, headers: { authorization: 'no sir' } });
    assert.equal(bad.status, 403);
  });

  test('whoami of the admin', async () => {
    const r = await h.request('GET', 'hub/api/user');
    assert.equal(r.status, 200);
    assert.equal(r.json.kind, 'user');
    assert.equal(r.json.name, 'admin');
    assert.equal(r.json.admin, true);
    assert.match(r.json.token_id, /^a\d+$/);
    assert.ok(r.json.scopes.includes('admin:users'));
  });

  test('OPTIONS on the API root and below answers 200 with the CORS headers', async () => {
    for (const path of ['hub/api', 'hub/api/users']) {
      const r = await h.request('OPTIONS', path, { token: null });
      assert.equal(r.status, 200, path);
      assert.match(r.headers.get('access-control-allow-headers') ?? '', /authorization/);
    }
  });
});
