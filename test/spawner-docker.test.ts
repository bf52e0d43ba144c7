// The docker spawner end to end: a real hub, a private real dockerd (test/docker-engine.ts) and Debian's
// jupyterhub-singleuser from the host, mounted read-only into an image made from an empty rootfs.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConfigInput } from '../src/config/index.ts';
import { isAlive, killGroup } from '../src/lib/process.ts';
import { spawnerFactory } from '../src/spawners/index.ts';
import { spawnRequest, tempDir } from '../src/spawners/test-helpers.ts';
import { readPid, stateFiles } from '../src/proxy/state-files.ts';
import { dockerSkipReason, startDockerEngine, type DockerEngine } from './docker-engine.ts';
import { startHub, type TestHub } from './harness.ts';
import { spawnHub, writeHubConfig } from './process.ts';

const USER_LABEL = 'org.jupyter.hub.user';

describe('docker spawner against a private Docker engine', { skip: dockerSkipReason() }, () => {
  let engine: DockerEngine;
  const hubs: TestHub[] = [];
  before(async () => {
    engine = await startDockerEngine();
  });
  after(async () => {
    for (const h of hubs) await h.stop().catch(() => {});
    await engine?.stop();
  });

  /** A spawner config that runs the host's jupyterhub-singleuser as nobody in the test image. */
  const spawner = (docker: Record<string, unknown> = {}): ConfigInput['spawner'] =>
    ({
      class: 'docker',
      // nobody's home does not exist; jupyter-server keeps its runtime files under HOME.
      environment: { HOME: '/tmp' },
      start_timeout: 120,
      http_timeout: 120,
      docker: {
        host: engine.host,
        image: engine.image,
        pull_policy: 'never',
        read_only_volumes: engine.hostMounts,
        extra_create_kwargs: { user: '65534:65534' },
        remove: true,
        ...docker,
      },
    }) as ConfigInput['spawner'];

  async function hubWith(overrides: ConfigInput): Promise<TestHub> {
    const h = await startHub({ slow_spawn_timeout: 60, ...overrides });
    hubs.push(h);
    return h;
  }

  /** Starts a server through the API and waits until the hub calls it ready. */
  async function startServer(h: TestHub, name: string, body?: unknown): Promise<void> {
    const r = await h.request('POST', `hub/api/users/${name}/server`, { body });
    const why = () => h.logs.filter((l) => l.includes('container')).join('');
    assert.ok(r.status === 201 || r.status === 202, `${r.status} ${r.text}\n${why()}`);
    const deadline = Date.now() + 240_000;
    for (;;) {
      const u = await h.request('GET', `hub/api/users/${name}`);
      const s = u.json.servers?.[''];
      if (s?.ready) return;
      assert.ok(s, `the server of ${name} went away while starting: ${why()}`);
      assert.ok(Date.now() < deadline, `${name}'s server did not become ready`);
      await sleep(500);
    }
  }

  async function containersOf(user: string) {
    return engine.docker.listContainers({ all: true, filters: { label: [`${USER_LABEL}=${user}`] } });
  }

  /** Waits for the stop to remove the user's container. */
  async function gone(user: string): Promise<void> {
    for (let i = 0; (await containersOf(user)).length > 0; i++) {
      assert.ok(i < 150, `${user}'s container is removed after the stop`);
      await sleep(200);
    }
  }

  async function stateOf(h: TestHub, name: string): Promise<Record<string, unknown>> {
    return (await h.request('GET', `hub/api/users/${name}`)).json.servers[''].state;
  }

  test('docker: a server starts in a container, answers through the proxy, gets its limits; stop removes it', async () => {
    const h = await hubWith({
      spawner: spawner({ mem_limit: '256M', cpu_limit: 0.5, post_start_cmd: 'echo hello from $JUPYTERHUB_USER' }),
    });
    await h.addUsers(['alice']);
    await startServer(h, 'alice');
    const token = await h.tokenFor('alice');
    const status = await h.request('GET', 'user/alice/api/status', { token });
    assert.equal(status.status, 200, status.text);

    const state = await stateOf(h, 'alice');
    assert.equal(state.container_name, 'jupyter-alice');
    const info = await engine.docker.getContainer(String(state.container_id)).inspect();
    assert.equal(info.State.Running, true);
    assert.equal(info.HostConfig.Memory, 256 * 1024 * 1024, 'mem_limit reaches the engine');
    assert.equal(info.HostConfig.NanoCpus, 500_000_000, 'cpu_limit reaches the engine');
    assert.equal(info.HostConfig.NetworkMode, 'host');
    assert.equal(info.Config.User, '65534:65534');
    assert.equal(info.Config.Labels[USER_LABEL], 'alice');
    assert.ok(!info.Config.Cmd.includes('--allow-root'), 'not root, so no --allow-root');
    assert.ok(info.Config.Env.includes(`JUPYTERHUB_SERVICE_URL=http://127.0.0.1:${state.port}/`));

    assert.ok(
      h.logs.some((l) => l.includes('post_start_cmd ran') && l.includes('hello from alice')),
      'post_start_cmd runs in the container',
    );

    // The admin reads the container's output from the engine; its owner may not.
    const logs = await h.request('GET', 'hub/api/users/alice/server/logs?tail=50');
    assert.equal(logs.status, 200, logs.text);
    assert.equal(logs.json.source, 'engine');
    assert.ok(logs.json.lines.length > 0 && logs.json.lines.length <= 50, logs.text);
    assert.ok(
      logs.json.lines.some((l: string) => /Jupyter|Notebook|jupyterhub/i.test(l)),
      logs.text,
    );
    assert.equal((await h.request('GET', 'hub/api/users/alice/server/logs', { token })).status, 403);

    const stop = await h.request('DELETE', 'hub/api/users/alice/server');
    assert.ok(stop.status === 204 || stop.status === 202, stop.text);
    await gone('alice');
  });

  test('docker: an image outside allowed_images gets 400; a missing image with pull_policy never fails clearly', async () => {
    const h = await hubWith({
      spawner: spawner({ allowed_images: { host: engine.image, missing: 'tshub-missing:1' } }),
    });
    await h.addUsers(['bob']);
    const refused = await h.request('POST', 'hub/api/users/bob/server', { body: { image: 'evil:latest' } });
    assert.equal(refused.status, 400, refused.text);
    assert.equal(refused.json.message, 'Image evil:latest not in allowed list: host, missing');

    const missing = await h.request('POST', 'hub/api/users/bob/server', { body: { image: 'missing' } });
    assert.equal(missing.status, 500, missing.text);
    assert.match(missing.json.message, /Image tshub-missing:1 is not on the Docker engine, and pull_policy is never/);
    const progress = await h.request('GET', 'hub/api/users/bob/server/progress');
    assert.match(progress.text, /"failed":true[^\n]*pull_policy is never/, 'the progress stream says why');
    assert.deepEqual(await containersOf('bob'), [], 'nothing is left behind');
  });

  test('docker: a container that exits at once fails the start with its output, and is removed', async () => {
    const h = await hubWith({ spawner: spawner({ cmd: ['sh', '-c', 'echo no notebook here; exit 3'] }) });
    await h.addUsers(['carol']);
    const r = await h.request('POST', 'hub/api/users/carol/server');
    assert.equal(r.status, 500, r.text);
    assert.match(r.json.message, /exited immediately with status 3[\s\S]*no notebook here/);
    assert.deepEqual(await containersOf('carol'), []);
  });

  test('docker: a hub killed with SIGKILL while two containers run re-adopts both, no duplicates', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tshub-docker-restart-'));
    const token = `docker-restart-admin-${Date.now()}-0123456789`;
    const written = await writeHubConfig(dir, [
      'authenticator: { admin_users: [admin] }',
      `api_tokens: { "${token}": admin }`,
      // JSON is YAML: the same spawner settings as the other tests.
      `spawner: ${JSON.stringify(spawner())}`,
    ]);
    const api = async (method: string, path: string, body?: unknown, as = token) => {
      const r = await fetch(`${written.pub}${path}`, {
        method,
        headers: { authorization: `token ${as}` },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(60_000),
      });
      const text = await r.text();
      return { status: r.status, text, json: text ? JSON.parse(text) : undefined };
    };
    const serve = () => spawnHub(['--config', written.cfg], `${written.pub}hub/api/`);
    let hub = await serve();
    try {
      assert.equal((await api('POST', 'hub/api/users', { usernames: ['ann', 'ben'] })).status, 201);
      for (const u of ['ann', 'ben'])
        assert.ok([201, 202].includes((await api('POST', `hub/api/users/${u}/server`)).status));
      for (let i = 0; ; i++) {
        const users = await api('GET', 'hub/api/users?state=ready');
        if (users.json.length === 2) break;
        assert.ok(i < 480, `both servers ready: ${hub.output().slice(-2000)}`);
        await sleep(500);
      }
      const before: Record<string, unknown> = {};
      for (const u of ['ann', 'ben']) before[u] = (await api('GET', `hub/api/users/${u}`)).json.servers[''].state;

      hub.proc.kill('SIGKILL');
      await hub.stop();
      hub = await serve();
      for (const u of ['ann', 'ben']) {
        const userToken = (await api('POST', `hub/api/users/${u}/tokens`, {})).json.token;
        const status = await api('GET', `user/${u}/api/status`, undefined, userToken);
        assert.equal(status.status, 200, `${u}: ${status.text}`);
        assert.deepEqual((await api('GET', `hub/api/users/${u}`)).json.servers[''].state, before[u]);
        const running = await containersOf(u);
        assert.equal(running.length, 1, `one container for ${u}`);
        assert.equal(running[0]!.Id, (before[u] as { container_id: string }).container_id);
      }
      const stop = await api('DELETE', 'hub/api/users/ann/server');
      assert.ok(stop.status === 204 || stop.status === 202, stop.text);
      await gone('ann');
    } finally {
      // Servers and proxy too: the killed hub's proxy was adopted by the second one.
      await api('POST', 'hub/api/shutdown', { proxy: true, servers: true }).catch(() => {});
      await Promise.race([once(hub.proc, 'exit'), sleep(30_000)]);
      await hub.stop();
      const proxyPid = readPid(stateFiles(dir).pid);
      if (proxyPid !== null && isAlive(proxyPid)) await killGroup(proxyPid, 2000).catch(() => {});
      await written.db.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // Off host networking the hub reaches a server at an address this machine's engine (no bridge, no
  // iptables) cannot route to, so these tests check what reached the engine and the URL derived from its
  // inspect, and never connect to the container.
  describe('on a user-defined network (checked against the engine, never connected to)', () => {
    const NETWORK = 'tshub-lab';
    let networkError: string | null = null;
    before(async () => {
      try {
        await engine.docker.createNetwork({ Name: NETWORK, Driver: 'bridge' });
      } catch (err) {
        networkError = (err as Error).message;
      }
    });
    after(async () => {
      if (networkError === null)
        await engine.docker
          .getNetwork(NETWORK)
          .remove()
          .catch(() => {});
    });

    /** A spawner whose container only sleeps: nothing in it is meant to be reached. */
    function spawnerOn(docker: Record<string, unknown>, user: string) {
      const config = spawner({
        // As PID 1, sleep would ignore the stop's SIGTERM and hold the test up for the stop timeout.
        cmd: ['sh', '-c', 'trap "exit 0" TERM; sleep 300 & wait'],
        network_name: NETWORK,
        ...docker,
      });
      const req = spawnRequest({
        stateDir: tempDir(),
        user,
        config: config as Parameters<typeof spawnRequest>[0]['config'],
      });
      return spawnerFactory(req.config).create(req);
    }

    test('docker: use_internal_ip: the URL is the container address on the network, at port', async (t) => {
      if (networkError !== null) return t.skip(`the engine cannot create a network here: ${networkError}`);
      const s = spawnerOn({ use_internal_ip: true, port: 9000 }, 'dana');
      try {
        const url = await s.start();
        const state = s.state();
        const info = await engine.docker.getContainer(String(state.container_id)).inspect();
        assert.equal(info.HostConfig.NetworkMode, NETWORK);
        assert.deepEqual(Object.keys(info.Config.ExposedPorts ?? {}), ['9000/tcp']);
        assert.deepEqual(info.HostConfig.PortBindings ?? {}, {}, 'nothing published');
        assert.ok(info.Config.Env.includes('JUPYTERHUB_SERVICE_URL=http://0.0.0.0:9000/'));
        const ip = info.NetworkSettings.Networks[NETWORK]?.IPAddress ?? '';
        assert.match(ip, /^[0-9.]+$/, 'the engine gave the container an address');
        assert.equal(url, `http://${ip}:9000`);
        assert.equal(state.port, 9000);
      } finally {
        await s.stop();
      }
      await gone('dana');
    });

    test('docker: without use_internal_ip: port is published on host_ip and the URL is what the engine picked', async (t) => {
      if (networkError !== null) return t.skip(`the engine cannot create a network here: ${networkError}`);
      const s = spawnerOn({}, 'eve');
      try {
        const url = await s.start();
        const state = s.state();
        const info = await engine.docker.getContainer(String(state.container_id)).inspect();
        assert.equal(info.HostConfig.NetworkMode, NETWORK);
        assert.deepEqual(Object.keys(info.Config.ExposedPorts ?? {}), ['8888/tcp']);
        assert.deepEqual(info.HostConfig.PortBindings, { '8888/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] });
        assert.ok(info.Config.Env.includes('JUPYTERHUB_SERVICE_URL=http://0.0.0.0:8888/'));
        const published = info.NetworkSettings.Ports['8888/tcp']?.[0];
        assert.ok(
          published && published.HostIp === '127.0.0.1' && Number(published.HostPort) > 0,
          JSON.stringify(published),
        );
        assert.equal(url, `http://127.0.0.1:${published.HostPort}`);
        assert.equal(state.port, Number(published.HostPort));
      } finally {
        await s.stop();
      }
      await gone('eve');
    });

    test('docker: an unknown network, or extra_host_config naming another, fails the start and leaves nothing', async () => {
      await assert.rejects(
        spawnerOn({ network_name: 'tshub-no-such-net' }, 'fay').start(),
        /Cannot start container jupyter-fay: network tshub-no-such-net not found/,
      );
      await assert.rejects(
        spawnerOn({ extra_host_config: { network_mode: 'host' } }, 'fay').start(),
        /may not change the network \(host\): set network_name instead \(it is tshub-lab\)/,
      );
      assert.deepEqual(await containersOf('fay'), []);
    });
  });
});
