import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHub, type TestHub } from './harness.ts';

describe('proxy API', () => {
  let h: TestHub;
  let chp: (method: string, path: string) => Promise<Response>;
  before(async () => {
    h = await startHub();
    const token = readFileSync(join(h.dir, 'tshub-proxy-token'), 'utf8').trim();
    const api = h.hub.ctx.config.proxy.api_url;
    chp = (method, path) => fetch(`${api}/api/routes${path}`, { method, headers: { authorization: `token ${token}` } });
  });
  after(() => h.stop());

  test('GET lists the hub route; needs the proxy scope', async () => {
    const r = await h.request('GET', 'hub/api/proxy');
    assert.equal(r.status, 200);
    assert.deepEqual(Object.keys(r.json), ['/']);
    assert.equal(r.json['/'].data.hub, true);
    await h.addUsers(['uma']);
    const denied = await h.request('GET', 'hub/api/proxy', { token: await h.tokenFor('uma') });
    assert.equal(denied.status, 403);
  });

  test('POST re-syncs: a route removed behind the hub is put back', async () => {
    assert.equal((await chp('DELETE', '/')).status, 204);
    assert.deepEqual(await (await chp('GET', '')).json(), {});
    // Without its '/' route the proxy reaches nothing, the hub included: ask the hub directly.
    const resync = await fetch(new URL('hub/api/proxy', h.hub.hubUrl), {
      method: 'POST',
      headers: { authorization: `token ${h.adminToken}` },
    });
    assert.equal(resync.status, 200);
    const routes = (await (await chp('GET', '')).json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(routes), ['/']);
  });

  test('PATCH: bad bodies and unreachable proxies are refused, nothing changes; an empty one only re-syncs', async () => {
    assert.equal((await h.request('PATCH', 'hub/api/proxy', { body: {} })).status, 200);
    assert.equal((await h.request('PATCH', 'hub/api/proxy', { body: { api_url: 'ftp://x' } })).status, 400);
    assert.equal((await h.request('PATCH', 'hub/api/proxy', { body: { api_url: 'http://127.0.0.1:1' } })).status, 400);
    assert.equal((await h.request('PATCH', 'hub/api/proxy', { body: { auth_token: 'wrong-token-123' } })).status, 400);
    assert.equal((await h.request('GET', 'hub/api/proxy')).status, 200);
  });

  test('PATCH with the same API and token keeps working', async () => {
    const token = readFileSync(join(h.dir, 'tshub-proxy-token'), 'utf8').trim();
    const r = await h.request('PATCH', 'hub/api/proxy', {
      body: { api_url: h.hub.ctx.config.proxy.api_url, auth_token: token },
    });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(Object.keys((await h.request('GET', 'hub/api/proxy')).json), ['/']);
  });
});
