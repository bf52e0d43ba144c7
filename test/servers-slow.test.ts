import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHub, type TestHub } from './harness.ts';

// A "server" that starts but never answers HTTP keeps the spawn pending until http_timeout.
// (`sh -c CMD sh` so the --allow-root the spawner adds when running as root lands in $1, unused.)
const NEVER_READY = ['sh', '-c', 'exec sleep 600', 'sh'];

describe('pending spawns', () => {
  let h: TestHub;
  before(async () => {
    h = await startHub({
      slow_spawn_timeout: 1,
      concurrent_spawn_limit: 1,
      spawner: { cmd: NEVER_READY, http_timeout: 60 },
    });
    await h.addUsers(['sam', 'tia']);
  });
  after(() => h.stop());

  test('a slow start answers 202 and shows pending; a second start also 202; the limit answers 429', async () => {
    const first = await h.request('POST', 'hub/api/users/sam/server');
    assert.equal(first.status, 202, first.text);
    const model = await h.request('GET', 'hub/api/users/sam');
    assert.equal(model.json.pending, 'spawn');
    assert.equal(model.json.servers[''].pending, 'spawn');
    assert.equal(model.json.servers[''].ready, false);
    const again = await h.request('POST', 'hub/api/users/sam/server');
    assert.equal(again.status, 202);
    const active = await h.request('GET', 'hub/api/users?state=active');
    assert.deepEqual(
      active.json.map((u: { name: string }) => u.name),
      ['sam'],
    );
    const ready = await h.request('GET', 'hub/api/users?state=ready');
    assert.deepEqual(ready.json, []);
    const other = await h.request('POST', 'hub/api/users/tia/server');
    assert.equal(other.status, 429);
    assert.ok(Number(other.headers.get('retry-after')) > 0);
  });

  test('stopping a pending start cancels it; the progress stream ends with the failure', async () => {
    const progress = fetch(new URL('hub/api/users/sam/server/progress', h.url), {
      headers: { authorization: `token ${h.adminToken}` },
    }).then((r) => r.text());
    const stop = await h.request('DELETE', 'hub/api/users/sam/server');
    assert.ok(stop.status === 204 || stop.status === 202, stop.text);
    const text = await progress;
    const events = text
      .split('\n')
      .filter((l) => l.startsWith('data: '))
      .map((l) => JSON.parse(l.slice(6)));
    assert.equal(events.at(-1).failed, true, text);
    const model = await h.request('GET', 'hub/api/users/sam');
    assert.equal(model.json.pending, null);
    assert.equal(model.json.server, null);
    const live = await h.hub.ctx.k
      .selectFrom('api_tokens')
      .select('id')
      .where('kind', '=', 'server')
      .where('revoked_at', 'is', null)
      .execute();
    assert.equal(live.length, 0);
    // With the pending start gone the concurrency slot is free again.
    const next = await h.request('POST', 'hub/api/users/tia/server');
    assert.equal(next.status, 202);
    assert.equal((await h.request('DELETE', 'hub/api/users/tia/server')).status, 204);
  });
});
