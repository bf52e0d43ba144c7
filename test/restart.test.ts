import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnHub, writeHubConfig, type RunningHub } from './process.ts';

// The hub is a real process here: killed with SIGKILL while servers run, then started again.

describe('hub restart keeps servers and the proxy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tshub-restart-'));
  const token = 'restart-test-admin-token-0123456789';
  let pub = '';
  let hub: RunningHub | null = null;
  const leftovers = new Set<number>();
  let dropDb = async () => {};

  const api = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${pub}${path}`, {
      method,
      headers: { authorization: `token ${token}` },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await r.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: r.status, text, json };
  };

  after(async () => {
    // Stop everything this test started, servers and proxy included.
    try {
      if (hub && hub.proc.exitCode === null) await api('POST', 'hub/api/shutdown', { proxy: true, servers: true });
      await hub?.stop();
    } finally {
      // Whatever a failed test left: the servers and the proxy run in their own process groups.
      for (const pid of [...leftovers]) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      rmSync(dir, { recursive: true, force: true });
      await dropDb();
    }
  });

  test('SIGKILL with two servers running, then start again: both still reachable, no duplicate rows', async () => {
    const written = await writeHubConfig(dir, [
      'authenticator: { admin_users: [admin] }',
      `api_tokens: { "${token}": admin }`,
    ]);
    pub = written.pub;
    const cfg = written.cfg;
    dropDb = written.db.drop;
    hub = await spawnHub(['--config', cfg], `${pub}hub/api/`);
    assert.equal((await api('POST', 'hub/api/users', { usernames: ['ann', 'ben'] })).status, 201);
    for (const u of ['ann', 'ben']) assert.equal((await api('POST', `hub/api/users/${u}/server`)).status, 201);
    const proxyPid = Number(readFileSync(join(dir, 'tshub-proxy.pid'), 'utf8'));
    leftovers.add(proxyPid);
    for (const u of ['ann', 'ben'])
      leftovers.add((await api('GET', `hub/api/users/${u}`)).json.servers[''].state?.pid ?? 0);

    // A connection opened before the crash and kept alive through it.
    const before = await api('GET', 'user/ann/api/status');
    assert.equal(before.status, 200, before.text);

    hub.proc.kill('SIGKILL');
    await hub.stop();
    // The server cached its check of this token, so it answers without the hub.
    const during = await api('GET', 'user/ann/api/status');
    assert.equal(during.status, 200, 'servers stay reachable through the proxy while the hub is down');

    hub = await spawnHub(['--config', cfg], `${pub}hub/api/`);
    assert.equal(
      Number(readFileSync(join(dir, 'tshub-proxy.pid'), 'utf8')),
      proxyPid,
      'the running proxy is adopted, not restarted',
    );
    for (const u of ['ann', 'ben']) {
      const r = await api('GET', `user/${u}/api/status`);
      assert.equal(r.status, 200, `${u}: ${r.text}`);
      const model = await api('GET', `hub/api/users/${u}`);
      assert.equal(model.json.server, `/user/${u}/`);
      assert.deepEqual(Object.keys(model.json.servers), ['']);
    }
    const users = await api('GET', 'hub/api/users?state=ready');
    assert.deepEqual(users.json.map((u: { name: string }) => u.name).sort(), ['ann', 'ben']);
    const routes = await api('GET', 'hub/api/proxy');
    assert.deepEqual(Object.keys(routes.json).sort(), ['/', '/user/ann/', '/user/ben/']);

    // Stopping after the restart still finds and ends the adopted processes.
    assert.equal((await api('DELETE', 'hub/api/users/ann/server')).status, 204);
    assert.equal((await api('GET', 'user/ann/api/status')).status !== 200, true);
  });
});
