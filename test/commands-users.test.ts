import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isAlive } from '../src/lib/process.ts';
import { startHub, type TestHub } from './harness.ts';

// Issue 15: deleting a user used to delete the row and leave their server running, still counted
// against active_server_limit. The real parts: jupyterhub-singleuser behind the proxy.

async function serverPid(h: TestHub, user: string): Promise<number> {
  const row = await h.hub.ctx.k
    .selectFrom('spawners')
    .innerJoin('users', 'users.id', 'spawners.user_id')
    .select('spawners.state')
    .where('users.name', '=', user)
    .where('spawners.name', '=', '')
    .executeTakeFirstOrThrow();
  return JSON.parse(row.state).pid as number;
}

describe('DELETE /hub/api/users/{name} with a running server', () => {
  let h: TestHub;
  before(async () => {
    h = await startHub({ active_server_limit: 1 });
    await h.addUsers(['gina', 'hal']);
  });
  after(() => h.stop());

  test('stops the server first: the process is gone and the active limit freed', async () => {
    assert.equal((await h.request('POST', 'hub/api/users/gina/server')).status, 201);
    const pid = await serverPid(h, 'gina');
    assert.equal(isAlive(pid), true);
    assert.equal((await h.request('POST', 'hub/api/users/hal/server')).status, 429, 'the limit holds first');

    const del = await h.request('DELETE', 'hub/api/users/gina');
    assert.equal(del.status, 204, del.text);
    assert.equal(isAlive(pid), false, "the deleted user's server process is stopped");
    const routes = await h.request('GET', 'hub/api/proxy');
    assert.deepEqual(Object.keys(routes.json), ['/'], 'and its route removed');

    const hal = await h.request('POST', 'hub/api/users/hal/server');
    assert.equal(hal.status, 201, `the active_server_limit is freed: ${hal.text}`);
  });
});
