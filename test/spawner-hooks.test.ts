// The spawner keys every class shares and the hooks of .ts/.mjs configs, end to end with the simple
// spawner and the fake server (which answers every request with its argv and environment).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConfigInput } from '../src/config/index.ts';
import { buildConfig, loadConfig } from '../src/config/index.ts';
import { spawnerHooks } from '../src/config/spawner-hooks.ts';
import { dockerWithLimits } from '../src/spawners/docker/spawner.ts';
import type { SpawnRequest } from '../src/spawners/index.ts';
import { fakeServerCmd, tempDir } from '../src/spawners/test-helpers.ts';
import { startHub, type TestHub } from './harness.ts';
import { freePort, type RunningHub, spawnHub, writeHubConfig } from './process.ts';
import { slurmUnavailable, startSlurmCluster } from './slurm-cluster.ts';

const dir = tempDir('tshub-spawner-hooks-');
const cmd = fakeServerCmd(dir);

/** What the fake server at `user`'s default server was started with. */
async function serverInfo(h: TestHub, user: string): Promise<{ argv: string[]; env: Record<string, string> }> {
  const r = await fetch(new URL(`user/${user}/api`, h.url), { signal: AbortSignal.timeout(10_000) });
  assert.equal(r.status, 200);
  return (await r.json()) as { argv: string[]; env: Record<string, string> };
}

describe('the common spawner keys reach the server', () => {
  let h: TestHub;
  after(() => h?.stop());

  test('limits, guarantees, env_keep, hub_connect_url, disable_user_config, ip, port, server_token_scopes', async () => {
    process.env.TSHUB_TEST_KEPT = 'kept';
    process.env.TSHUB_TEST_DROPPED = 'dropped';
    const port = await freePort();
    h = await startHub({
      spawner: {
        cmd,
        mem_limit: '1G',
        mem_guarantee: '512M',
        cpu_limit: 2,
        cpu_guarantee: 0.5,
        env_keep: ['PATH', 'TSHUB_TEST_KEPT'],
        hub_connect_url: 'http://hub.internal:9000',
        disable_user_config: true,
        ip: '0.0.0.0',
        port,
        server_token_scopes: ['users:activity!user', 'read:users:name!user'],
      },
    });
    await h.addUsers(['alice']);
    const r = await h.request('POST', 'hub/api/users/alice/server');
    assert.equal(r.status, 201, r.text);
    const { env } = await serverInfo(h, 'alice');
    assert.equal(env.MEM_LIMIT, String(1024 ** 3));
    assert.equal(env.MEM_GUARANTEE, String(512 * 1024 ** 2));
    assert.equal(env.CPU_LIMIT, '2.0');
    assert.equal(env.CPU_GUARANTEE, '0.5');
    assert.equal(env.TSHUB_TEST_KEPT, 'kept');
    assert.equal(env.TSHUB_TEST_DROPPED, undefined);
    assert.equal(env.JUPYTERHUB_API_URL, 'http://hub.internal:9000/hub/api');
    assert.equal(env.JUPYTERHUB_DISABLE_USER_CONFIG, '1');
    // The server listens on every interface at the fixed port; the proxy reaches it on loopback.
    assert.equal(env.JUPYTERHUB_SERVICE_URL, `http://0.0.0.0:${port}/`);
    const routes = await h.request('GET', 'hub/api/proxy');
    assert.equal(routes.json['/user/alice/'].target, `http://127.0.0.1:${port}`);
    // The server's own token carries the configured scopes, for its user.
    const me = await h.request('GET', 'hub/api/user', { token: env.JUPYTERHUB_API_TOKEN });
    assert.equal(me.status, 200, me.text);
    const scopes = me.json.scopes as string[];
    assert.ok(scopes.includes('read:users:name!user=alice'), scopes.join(' '));
    // Not the default server role's: access to itself was not configured.
    assert.ok(!scopes.some((x) => x.startsWith('access:servers')), scopes.join(' '));
  });
});

test('docker takes the common mem_limit and cpu_limit unless its own keys are set', () => {
  const common = buildConfig({ spawner: { mem_limit: '1G', cpu_limit: 2 } }).spawner;
  assert.deepEqual([dockerWithLimits(common).mem_limit, dockerWithLimits(common).cpu_limit], ['1G', 2]);
  const own = buildConfig({
    spawner: { mem_limit: '1G', cpu_limit: 2, docker: { mem_limit: '2G', cpu_limit: 0.5 } },
  }).spawner;
  assert.deepEqual([dockerWithLimits(own).mem_limit, dockerWithLimits(own).cpu_limit], ['2G', 0.5]);
});

describe('spawner hooks', () => {
  test('auth_state_hook, pre_spawn_hook and modify_spawn_request shape the start; post_stop_hook follows the stop', async () => {
    const calls: string[] = [];
    const spawner = {
      cmd,
      auth_state_hook: (req: SpawnRequest, authState: unknown) => {
        calls.push(`auth_state ${req.user.name} ${JSON.stringify(authState)}`);
      },
      pre_spawn_hook: async (req: SpawnRequest) => {
        calls.push(`pre_spawn ${req.serverName || '(default)'}`);
        req.env.FROM_PRE_SPAWN = `hello ${req.user.name}`;
      },
      modify_spawn_request: (req: SpawnRequest): SpawnRequest => {
        calls.push('modify');
        return { ...req, config: { ...req.config, args: [...req.config.args, '--from-hook'] } };
      },
      post_stop_hook: (req: SpawnRequest) => {
        calls.push(`post_stop ${req.user.name}`);
        throw new Error('a failing post_stop_hook is only logged');
      },
    };
    const h = await startHub({ spawner } as ConfigInput);
    try {
      await h.addUsers(['bob']);
      for (let round = 0; round < 2; round++) {
        assert.equal((await h.request('POST', 'hub/api/users/bob/server')).status, 201);
        const info = await serverInfo(h, 'bob');
        assert.equal(info.env.FROM_PRE_SPAWN, 'hello bob');
        // Each start changes its own copy of the config: the argument is not added twice.
        assert.deepEqual(
          info.argv.filter((a) => a === '--from-hook'),
          ['--from-hook'],
        );
        assert.equal((await h.request('DELETE', 'hub/api/users/bob/server')).status, 204);
      }
      assert.deepEqual(calls.slice(0, 4), ['auth_state bob null', 'pre_spawn (default)', 'modify', 'post_stop bob']);
      assert.equal(calls.length, 8);
      assert.ok(h.logs.some((l) => l.includes('post_stop_hook failed')));
    } finally {
      await h.stop();
    }
  });

  test('a hook that throws fails the spawn with its message, and nothing is left running', async () => {
    const spawner = {
      cmd,
      pre_spawn_hook: () => {
        throw new Error('no GPUs left for bob');
      },
    };
    const h = await startHub({ spawner } as ConfigInput);
    try {
      await h.addUsers(['bob']);
      const r = await h.request('POST', 'hub/api/users/bob/server');
      assert.equal(r.status, 500, r.text);
      assert.match(r.json.message, /no GPUs left for bob/);
      assert.equal((await h.request('GET', 'hub/api/users/bob')).json.server, null);
    } finally {
      await h.stop();
    }
  });

  test('hooks load from a .mjs config; a hook in a YAML config is an error naming the key', async () => {
    const mjs = join(dir, 'hooks.mjs');
    writeFileSync(
      mjs,
      'export default { spawner: { cmd: ["x"], pre_spawn_hook(s) { s.env.X = "1"; }, post_stop_hook: undefined } };\n',
    );
    const { config } = await loadConfig({ file: mjs, env: {} });
    assert.deepEqual(config.spawner.cmd, ['x']);
    assert.equal(typeof spawnerHooks(config.spawner).pre_spawn_hook, 'function');
    assert.equal(spawnerHooks(config.spawner).post_stop_hook, undefined);
    const yaml = join(dir, 'hooks.yaml');
    writeFileSync(yaml, 'spawner:\n  pre_spawn_hook: my_module.hook\n');
    await assert.rejects(loadConfig({ file: yaml, env: {} }), /spawner\.pre_spawn_hook .*must be a function/);
  });
});

describe('consecutive_failure_limit', () => {
  test('after N failed starts in a row, starts are refused with 503 and the log says why', async () => {
    const h = await startHub({ spawner: { cmd: ['/nonexistent/singleuser'], consecutive_failure_limit: 2 } });
    try {
      await h.addUsers(['carol', 'dan', 'erin']);
      assert.equal((await h.request('POST', 'hub/api/users/carol/server')).status, 500);
      assert.equal((await h.request('POST', 'hub/api/users/dan/server')).status, 500);
      const r = await h.request('POST', 'hub/api/users/erin/server');
      assert.equal(r.status, 503, r.text);
      assert.match(r.json.message, /Too many consecutive failed spawns \(2\)/);
      assert.equal(r.json.reason, 'spawn_failure_limit');
      assert.ok(h.logs.some((l) => l.includes('too many consecutive failed spawns')));
    } finally {
      await h.stop();
    }
  });
});

describe('state saved while a start is in flight', () => {
  test('a hub killed mid-start stops the half-started server when it comes back', async () => {
    const token = 'spawner-hooks-admin-token-0123456789';
    const pidFile = join(dir, 'server.pid');
    const script = join(dir, 'slow-server.sh');
    // A server that never listens: the hub is still inside start() while it watches for an early exit.
    writeFileSync(script, `#!/bin/sh\necho $$ > ${pidFile}\nexec sleep 120\n`, { mode: 0o755 });
    const hubDir = join(dir, 'process-hub');
    mkdirSync(hubDir);
    const written = await writeHubConfig(hubDir, [
      'authenticator: { admin_users: [admin] }',
      `api_tokens: { "${token}": admin }`,
      `spawner: { cmd: ["${script}"], http_timeout: 60 }`,
    ]);
    const api = (method: string, path: string, body?: unknown) =>
      fetch(`${written.pub}${path}`, {
        method,
        headers: { authorization: `token ${token}` },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
    let hub: RunningHub | null = null;
    let serverPid = 0;
    try {
      hub = await spawnHub(['--config', written.cfg], `${written.pub}hub/api/`);
      assert.equal((await api('POST', 'hub/api/users', { usernames: ['fay'] })).status, 201);
      void api('POST', 'hub/api/users/fay/server').catch(() => {});
      for (let i = 0; i < 200 && !existsSync(pidFile); i++) await sleep(10);
      serverPid = Number(readFileSync(pidFile, 'utf8'));
      // Well inside start()'s one-second watch for an early exit, after the pid was saved.
      await sleep(200);
      hub.proc.kill('SIGKILL');
      await hub.stop();
      assert.doesNotThrow(() => process.kill(serverPid, 0), 'the server outlives the killed hub');

      hub = await spawnHub(['--config', written.cfg], `${written.pub}hub/api/`);
      let gone = false;
      for (let i = 0; i < 100 && !gone; i++) {
        try {
          process.kill(serverPid, 0);
          await sleep(100);
        } catch {
          gone = true;
        }
      }
      assert.ok(gone, 'the restarted hub stopped the server its predecessor was starting');
      const model = (await (await api('GET', 'hub/api/users/fay')).json()) as { server: string | null };
      assert.equal(model.server, null);
    } finally {
      if (hub && hub.proc.exitCode === null) await api('POST', 'hub/api/shutdown', { proxy: true, servers: true });
      await hub?.stop();
      try {
        if (serverPid > 0) process.kill(-serverPid, 'SIGKILL');
      } catch {
        // gone, as it should be
      }
      await written.db.drop();
    }
  });
});

const noSlurm = slurmUnavailable();

describe('a Slurm job id saved while the job waits in the queue', { skip: noSlurm ?? false }, () => {
  test('a hub killed while the job is pending cancels the job when it comes back', async () => {
    const cluster = await startSlurmCluster();
    const token = 'spawner-hooks-slurm-token-0123456789';
    const home = join(dir, 'slurm-home');
    mkdirSync(join(home, 'gil'), { recursive: true });
    const hubDir = join(dir, 'slurm-hub');
    mkdirSync(hubDir);
    const written = await writeHubConfig(hubDir, [
      'authenticator: { admin_users: [admin] }',
      `api_tokens: { "${token}": admin }`,
      'slow_spawn_timeout: 0',
      // --hold keeps the job pending for as long as the test needs.
      `spawner: { class: slurm, start_timeout: 300, slurm: { exec_prefix: "", req_homedir: "${home}/{username}", req_options: "--hold", startup_poll_interval: 0.2 } }`,
    ]);
    const api = async (method: string, path: string, body?: unknown) => {
      const r = await fetch(`${written.pub}${path}`, {
        method,
        headers: { authorization: `token ${token}` },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      return { status: r.status, json: (await r.json().catch(() => null)) as any };
    };
    const env = { SLURM_CONF: cluster.conf };
    let hub: RunningHub | null = null;
    try {
      hub = await spawnHub(['--config', written.cfg], `${written.pub}hub/api/`, env);
      assert.equal((await api('POST', 'hub/api/users', { usernames: ['gil'] })).status, 201);
      assert.equal((await api('POST', 'hub/api/users/gil/server')).status, 202);
      let job = '';
      for (let i = 0; i < 100 && job === ''; i++) {
        job = String((await api('GET', 'hub/api/users/gil')).json.servers['']?.state?.job_id ?? '');
        if (job === '') await sleep(100);
      }
      assert.match(job, /^\d+$/, 'the job id is saved while the start is still in flight');
      assert.equal((await cluster.client('squeue', ['-h', '-j', job, '-o', '%T'])).trim(), 'PENDING');
      hub.proc.kill('SIGKILL');
      await hub.stop();

      hub = await spawnHub(['--config', written.cfg], `${written.pub}hub/api/`, env);
      let state = 'PENDING';
      for (let i = 0; i < 100 && state !== ''; i++) {
        state = (await cluster.client('squeue', ['-h', '-j', job, '-o', '%T']).catch(() => '')).trim();
        if (state !== '') await sleep(200);
      }
      assert.equal(state, '', 'the restarted hub cancelled the job its predecessor submitted');
      assert.equal((await api('GET', 'hub/api/users/gil')).json.server, null);
    } finally {
      if (hub && hub.proc.exitCode === null) await api('POST', 'hub/api/shutdown', { proxy: true, servers: true });
      await hub?.stop();
      await cluster.stop();
      await written.db.drop();
    }
  });
});
