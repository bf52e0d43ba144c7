import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killGroup } from '../src/lib/process.ts';
import { freePort, runTshub } from './process.ts';

// The same commands against JupyterHub itself (Debian's, with its configurable-http-proxy): the standard
// endpoints work, and rotation, which JupyterHub lacks, is named as tshub's.
describe('tshub whoami / tokens against JupyterHub', () => {
  let dir: string;
  let hub: ChildProcess;
  let url: string;
  let output = '';
  let alice: string;
  const admin = `jh-admin-service-${process.pid}-0123456789abcdef`;
  const env = { JUPYTERHUB_API_TOKEN: undefined, JUPYTERHUB_API_URL: undefined, XDG_CONFIG_HOME: '/nonexistent' };
  const api = async (method: string, path: string, token = admin, body?: unknown) => {
    const res = await fetch(new URL(`hub/api/${path}`, url), {
      method,
      headers: { authorization: `token ${token}` },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : null };
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tshub-cli-jh-'));
    const [p1, p2, p3] = [await freePort(), await freePort(), await freePort()];
    url = `http://127.0.0.1:${p1}/`;
    writeFileSync(
      join(dir, 'jupyterhub_config.py'),
      [
        // Users that are not system accounts: JupyterHub's default (PAM) refuses to create them.
        "c.JupyterHub.authenticator_class = 'dummy'",
        "c.JupyterHub.ip = '127.0.0.1'",
        `c.JupyterHub.port = ${p1}`,
        "c.JupyterHub.hub_ip = '127.0.0.1'",
        `c.JupyterHub.hub_port = ${p2}`,
        `c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:${p3}'`,
        `c.JupyterHub.db_url = 'sqlite:///${join(dir, 'jupyterhub.sqlite')}'`,
        `c.JupyterHub.cookie_secret_file = '${join(dir, 'cookie_secret')}'`,
        `c.JupyterHub.services = [{'name': 'cli-admin', 'api_token': '${admin}'}]`,
        "c.JupyterHub.load_roles = [{'name': 'cli-admin', 'scopes': ['admin:users', 'tokens'], 'services': ['cli-admin']}]",
      ].join('\n'),
    );
    hub = spawn('jupyterhub', ['-f', join(dir, 'jupyterhub_config.py')], {
      cwd: dir,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CONFIGPROXY_AUTH_TOKEN: `chp-${process.pid}-secret` },
    });
    hub.stdout!.on('data', (d) => (output += d));
    hub.stderr!.on('data', (d) => (output += d));
    const deadline = Date.now() + 60_000;
    for (;;) {
      const ok = await api('GET', 'users/nobody')
        .then((r) => r.status === 404)
        .catch(() => false);
      if (ok) break;
      if (Date.now() > deadline || hub.exitCode !== null) throw new Error(`JupyterHub did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 300));
    }
    const u = await api('POST', 'users/alice');
    assert.equal(u.status, 201, JSON.stringify(u.json));
    const t = await api('POST', 'users/alice/tokens', admin, { note: 'for the cli' });
    assert.equal(t.status, 201, JSON.stringify(t.json));
    alice = t.json.token;
  });

  after(async () => {
    if (hub?.pid) await killGroup(hub.pid, 5000).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });

  test('whoami, tokens create/list/revoke through the standard endpoints', async () => {
    const as = ['--url', url, '--token', alice];
    const me = await runTshub(['whoami', ...as, '--json'], env);
    assert.equal(me.code, 0, me.stderr);
    assert.equal(JSON.parse(me.stdout).name, 'alice');

    const c = await runTshub(['tokens', 'create', ...as, '--note', 'made by tshub', '--json'], env);
    assert.equal(c.code, 0, c.stderr);
    const created = JSON.parse(c.stdout);
    assert.equal((await api('GET', 'user', created.token)).json.name, 'alice');

    const l = await runTshub(['tokens', 'list', ...as], env);
    assert.equal(l.code, 0, l.stderr);
    assert.match(l.stdout, new RegExp(`^${created.id}\\s+made by tshub\\s`, 'm'));

    const r = await runTshub(['tokens', 'revoke', ...as, created.id], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await api('GET', 'user', created.token)).status, 403);
  });

  test('rotate: JupyterHub has no such route, and the CLI says rotation is a tshub feature', async () => {
    const r = await runTshub(['tokens', 'rotate', '--url', url, '--token', alice, 'a1'], env);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'tshub tokens rotate: 404 this hub does not rotate tokens (rotation is a tshub feature)\n');
  });

  test("a bad token: JupyterHub's message, without a reason (it has none), exit 1", async () => {
    const r = await runTshub(['whoami', '--url', url, '--token', 'nope'], env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^tshub whoami: 403 \S.*\n$/);
    assert.doesNotMatch(r.stderr, /\(\w+\)\n$/);
  });
});
