// A managed service's token rotated through the API: the hub restarts the service with the new token
// (its environment carries JUPYTERHUB_API_TOKEN), its next pass succeeds, and the old token is refused
// once the grace is over. The service is the idle culler (`tshub cull`), passing every second: a pass
// lists the users through the API with the service's token, and says how it went in the hub's log.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { startHub, type TestHub } from './harness.ts';
import { assertRefused, whoami } from './token-helpers.ts';

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

/** The token a process was started with, read from its environment as the kernel keeps it. */
function envToken(pid: number): string | undefined {
  const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  return env.find((e) => e.startsWith('JUPYTERHUB_API_TOKEN='))?.slice('JUPYTERHUB_API_TOKEN='.length);
}

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

describe('rotating a managed service’s token', () => {
  let h: TestHub;
  before(async () => {
    h = await startHub({
      services: [
        {
          name: 'idle-culler',
          command: ['tshub', 'cull', '--timeout=1', '--cull-every=1'],
        },
      ],
      load_roles: [
        {
          name: 'idle-culler',
          scopes: ['list:users', 'read:users:activity', 'read:servers', 'delete:servers'],
          services: ['idle-culler'],
        },
      ],
    });
  });
  after(() => h?.stop());

  const pid = async (): Promise<number | null> =>
    (await h.request('GET', 'hub/api/services/idle-culler')).json.pid ?? null;
  /** Whether the culler logged a pass without errors after the log line `mark` (a pass with a refused token fails). */
  const passedAfter = (mark: string) => {
    const since = h.logs.join('').split(mark).slice(1).join('');
    return /Cull pass done in [\d.]+ s: .* 0 errors/.test(since) && !/Cull pass failed/.test(since);
  };

  test('restarted with the new token, its next pass succeeds, the old token ends with the grace', async () => {
    const firstPid = await until('the culler pid', pid);
    await until('a first pass', async () => passedAfter(`(pid ${firstPid})`));
    const oldToken = envToken(firstPid)!;
    assert.ok(oldToken, 'the service was given a token');

    const lr = await h.request('GET', 'hub/api/services/idle-culler/tokens');
    assert.equal(lr.status, 200, lr.text);
    const listed = lr.json.api_tokens;
    const run = listed.find((t: { note: string }) => t.note.startsWith('Managed service idle-culler'));
    assert.ok(run, JSON.stringify(listed));
    const r = await h.request('POST', `hub/api/services/idle-culler/tokens/${run.id}/rotate`, {
      body: { grace_seconds: 3 },
    });
    assert.equal(r.status, 201, r.text);
    // The reply comes once the old run is gone: a new one is starting or running.
    const secondPid = await until('the restarted culler', async () => {
      const p = await pid();
      return p !== null && p !== firstPid && p;
    });
    assert.equal(envToken(secondPid), r.json.token, 'the new run has the new token');
    assert.equal((await whoami(h, oldToken)).status, 200, 'the old token works during the grace');

    await until('a pass of the restarted culler', async () => passedAfter(`(pid ${secondPid})`));

    await until('the grace to end', async () => (await whoami(h, oldToken)).status === 403, 10_000);
    await assertRefused(h, oldToken, 'token_rotated');
    assert.equal((await whoami(h, r.json.token)).status, 200);
    const after = (await h.request('GET', 'hub/api/services/idle-culler/tokens?include_inactive=1')).json;
    assert.ok(after.inactive_tokens.some((t: { id: string }) => t.id === run.id));
    assert.ok(after.api_tokens.some((t: { id: string; last_activity: string | null }) => t.id === r.json.id));
  });
});
