// POST /hub/api/batchspawner on a hub whose spawner picks ports itself (simple): a starting server's
// own token is refused with port_not_expected, since nothing waits for a port there. The slurm
// spawner's use of the endpoint is in test/spawner-slurm.test.ts.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startHub, type TestHub } from './harness.ts';

describe('the batchspawner endpoint with the simple spawner', () => {
  let h: TestHub;
  const dir = mkdtempSync(join(tmpdir(), 'tshub-batchspawner-'));
  before(async () => {
    h = await startHub({
      slow_spawn_timeout: 0,
      spawner: {
        // The server writes its own token where the test can read it, then takes its time to start.
        cmd: [
          'sh',
          '-c',
          `printf '%s\\n' "$JUPYTERHUB_API_TOKEN" > ${dir}/$JUPYTERHUB_USER; sleep 4; exec jupyterhub-singleuser`,
        ],
      },
    });
    await h.addUsers(['ida']);
  });
  after(async () => {
    await h?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("a starting server's own token: 400 port_not_expected, as the simple spawner picks the port", async () => {
    assert.equal((await h.request('POST', 'hub/api/users/ida/server')).status, 202);
    const file = join(dir, 'ida');
    const read = () => (existsSync(file) ? readFileSync(file, 'utf8') : '');
    for (let i = 0; i < 100 && !read().endsWith('\n'); i++) await sleep(50);
    const token = read().trim();
    assert.ok(token, 'the server wrote its token');
    assert.equal((await h.request('GET', 'hub/api/users/ida')).json.servers['']?.pending, 'spawn');
    const r = await h.request('POST', 'hub/api/batchspawner', { body: { port: 8080 }, token });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.reason, 'port_not_expected');
    assert.equal(r.json.message, 'ida does not take a reported port: the simple spawner picks the port itself');
    await h.request('DELETE', 'hub/api/users/ida/server');
  });
});
