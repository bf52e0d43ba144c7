// The kubernetes spawner end to end, against the in-repo Kubernetes API simulator (test/k8s-sim): no real
// API server can run on these machines, so every test here says "simulated". The simulator's kubelet runs
// each pod's command as a local process, so Debian's real jupyterhub-singleuser answers through the proxy.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import pino from 'pino';
import { buildConfig, type ConfigInput } from '../src/config/index.ts';
import { attachSpawnerHooks } from '../src/config/spawner-hooks.ts';
import { kubernetesSpawnerFactory } from '../src/spawners/kubernetes/index.ts';
import type { SpawnRequest } from '../src/spawners/spawner.ts';
import { isAlive, killGroup } from '../src/lib/process.ts';
import { readPid, stateFiles } from '../src/proxy/state-files.ts';
import { startHub, type TestHub } from './harness.ts';
import { type K8sSim, startK8sSim } from './k8s-sim/index.ts';
import { spawnHub, writeHubConfig } from './process.ts';

const NS = 'jhub';
/** Slow enough that a test can act between a pod's steps (created, scheduled, pulled, started). */
const STEP_MS = 150;

describe('kubernetes spawner against the simulated Kubernetes API', () => {
  let sim: K8sSim;
  let home: string;
  const hubs: TestHub[] = [];
  before(async () => {
    sim = await startK8sSim({ namespace: NS, backoffMs: 200, stepMs: STEP_MS });
    home = mkdtempSync(join(tmpdir(), 'tshub-k8s-home-'));
  });
  after(async () => {
    for (const h of hubs) await h.stop().catch(() => {});
    await sim?.close();
    rmSync(home, { recursive: true, force: true });
  });

  /** Pods share the simulated node's loopback, so each server gets its own port (port: 0). */
  const spawner = (kubernetes: Record<string, unknown> = {}, more: Record<string, unknown> = {}) =>
    ({
      class: 'kubernetes',
      environment: { HOME: home },
      // The simulated kubelet runs the server as this test's own user, which may be root here.
      args: process.getuid?.() === 0 ? ['--allow-root'] : [],
      start_timeout: 120,
      http_timeout: 120,
      ...more,
      kubernetes: {
        kubeconfig: sim.kubeconfigPath,
        namespace: NS,
        port: 0,
        ip: '127.0.0.1',
        watch_stall_timeout: 5,
        ...kubernetes,
      },
    }) as ConfigInput['spawner'];

  async function hubWith(overrides: ConfigInput): Promise<TestHub> {
    const h = await startHub({ slow_spawn_timeout: 60, ...overrides });
    hubs.push(h);
    return h;
  }

  const podOf = (name: string) => sim.control.get('pods', NS, name);

  async function waitReady(h: TestHub, name: string): Promise<void> {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const s = (await h.request('GET', `hub/api/users/${name}`)).json.servers?.[''];
      if (s?.ready) return;
      assert.ok(s, `the server of ${name} went away while starting: ${h.logs.slice(-20).join('')}`);
      assert.ok(Date.now() < deadline, `${name}'s server did not become ready`);
      await sleep(200);
    }
  }

  async function gone(name: string): Promise<void> {
    for (let i = 0; podOf(name) !== undefined; i++) {
      assert.ok(i < 150, `pod ${name} is deleted`);
      await sleep(100);
    }
  }

  test('simulated: spawn, the progress stream shows the pod events, the notebook answers through the proxy, stop deletes the pod', async () => {
    const h = await hubWith({ spawner: spawner() });
    await h.addUsers(['alice']);
    const started = h.request('POST', 'hub/api/users/alice/server');
    // Read the stream while the spawn is pending: it replays what happened so far, then follows.
    for (let i = 0; !(await h.request('GET', 'hub/api/users/alice')).json.servers?.['']; i++) {
      assert.ok(i < 100, 'the spawn begins');
      await sleep(50);
    }
    const progress = await h.request('GET', 'hub/api/users/alice/server/progress');
    const r = await started;
    assert.ok(r.status === 201 || r.status === 202, r.text);
    assert.match(progress.text, /\[Normal\] Successfully assigned jhub\/jupyter-alice/, progress.text);
    assert.match(progress.text, /\[Normal\] Pulling image/);
    await waitReady(h, 'alice');

    const token = await h.tokenFor('alice');
    const status = await h.request('GET', 'user/alice/api/status', { token });
    assert.equal(status.status, 200, status.text);

    const state = (await h.request('GET', 'hub/api/users/alice')).json.servers[''].state;
    assert.equal(state.pod_name, 'jupyter-alice');
    assert.equal(state.namespace, NS);
    assert.equal(state.dns_name, 'jupyter-alice.jhub.svc.cluster.local');
    const pod = podOf('jupyter-alice')!;
    assert.equal(pod.metadata.labels['hub.jupyter.org/username'], 'alice');
    assert.equal(pod.metadata.labels['app.kubernetes.io/managed-by'], 'tshub');

    const stop = await h.request('DELETE', 'hub/api/users/alice/server');
    assert.ok(stop.status === 204 || stop.status === 202, stop.text);
    await gone('jupyter-alice');
  });

  test('simulated: a bad image fails fast with the event message, not after start_timeout, and the pod is deleted', async () => {
    const h = await hubWith({ spawner: spawner({ image: 'bad/no-such-image:1' }) });
    await h.addUsers(['bob']);
    const began = Date.now();
    const r = await h.request('POST', 'hub/api/users/bob/server');
    assert.equal(r.status, 500, r.text);
    assert.ok(Date.now() - began < 20_000, `failed in ${Date.now() - began} ms, well before start_timeout`);
    assert.match(r.json.message, /Failed to pull image "bad\/no-such-image:1"/);
    const progress = await h.request('GET', 'hub/api/users/bob/server/progress');
    assert.match(progress.text, /"failed":true[^\n]*Failed to pull image/, 'the progress stream says why');
    await gone('jupyter-bob');
  });

  test('simulated: a watch dropped mid-spawn recovers and the spawn completes; a stalled watch is replaced', async () => {
    const h = await hubWith({ spawner: spawner() });
    await h.addUsers(['carol', 'dave']);
    // Other tests' hubs watch too: wait until as many watches are open as before the drop.
    let watching = 0;
    const openWatches = async () => {
      for (let i = 0; sim.control.openWatches() < watching; i++) {
        assert.ok(i < 200, 'the pod and event watches are open');
        await sleep(50);
      }
    };
    await h.request('GET', 'hub/api/users/carol');
    const started = h.request('POST', 'hub/api/users/carol/server');
    for (let i = 0; !podOf('jupyter-carol'); i++) {
      assert.ok(i < 400, 'the pod is created');
      await sleep(10);
    }
    // Pods take STEP_MS per step in this simulator: the pod is not running yet when its watch is cut.
    assert.notEqual(podOf('jupyter-carol')!.status?.phase, 'Running');
    watching = sim.control.openWatches();
    assert.ok(sim.control.dropWatches() > 0, 'watches were open to drop');
    const r1 = await started;
    assert.ok(r1.status === 201 || r1.status === 202, r1.text);
    await waitReady(h, 'carol');

    await openWatches();
    assert.ok(sim.control.stallWatches() > 0, 'watches were open to stall');
    const r = await h.request('POST', 'hub/api/users/dave/server');
    assert.ok(r.status === 201 || r.status === 202, r.text);
    // The stalled streams are never released: only their replacements can tell the hub the pod runs.
    await waitReady(h, 'dave');
    assert.ok(
      h.logs.some((l) => l.includes('kubernetes watch stalled; replacing it')),
      'the health check replaced the stalled watch',
    );
    sim.control.releaseWatches();
    for (const u of ['carol', 'dave']) await h.request('DELETE', `hub/api/users/${u}/server`);
    await gone('jupyter-carol');
    await gone('jupyter-dave');
  });

  test('simulated: profile_list with kubespawner_override changes the image and the limits', async () => {
    const h = await hubWith({
      spawner: spawner(
        {},
        {
          profile_list: [
            {
              display_name: 'Small',
              default: true,
              kubespawner_override: { image: 'example/small:1', mem_limit: '256M' },
            },
            {
              display_name: 'Big',
              slug: 'big',
              kubespawner_override: { image: 'example/big:2', mem_limit: '1G', cpu_limit: 2 },
            },
          ],
        },
      ),
    });
    await h.addUsers(['erin']);
    const r = await h.request('POST', 'hub/api/users/erin/server', { body: { profile: 'big' } });
    assert.ok(r.status === 201 || r.status === 202, r.text);
    await waitReady(h, 'erin');
    const c = podOf('jupyter-erin')!.spec.containers[0];
    assert.equal(c.image, 'example/big:2');
    assert.deepEqual(c.resources.limits, { memory: String(1024 ** 3), cpu: '2' });
    await h.request('DELETE', 'hub/api/users/erin/server');
    await gone('jupyter-erin');
  });

  test('simulated: storage_pvc_ensure creates the claim; removing the named server deletes it (delete_pvc)', async () => {
    const h = await hubWith({
      allow_named_servers: true,
      spawner: spawner({ storage_pvc_ensure: true, storage_capacity: '1Gi', storage_class: 'standard' }),
    });
    await h.addUsers(['fay']);
    const r = await h.request('POST', 'hub/api/users/fay/servers/lab');
    assert.ok(r.status === 201 || r.status === 202, r.text);
    for (let i = 0; !(await h.request('GET', 'hub/api/users/fay')).json.servers?.lab?.ready; i++) {
      assert.ok(i < 600, 'the named server becomes ready');
      await sleep(200);
    }
    const claim = sim.control.get('persistentvolumeclaims', NS, 'claim-fay--lab');
    assert.ok(claim, 'the claim is named by pvc_name_template');
    assert.equal(claim.spec.resources.requests.storage, '1Gi');
    assert.equal(podOf('jupyter-fay--lab')!.metadata.labels['hub.jupyter.org/servername'], 'lab');

    const stop = await h.request('DELETE', 'hub/api/users/fay/servers/lab');
    assert.ok(stop.status === 204 || stop.status === 202, stop.text);
    await gone('jupyter-fay--lab');
    assert.ok(sim.control.get('persistentvolumeclaims', NS, 'claim-fay--lab'), 'a stop keeps the claim');
    const removed = await h.request('DELETE', 'hub/api/users/fay/servers/lab', { body: { remove: true } });
    assert.ok(removed.status === 204 || removed.status === 202, removed.text);
    for (let i = 0; sim.control.get('persistentvolumeclaims', NS, 'claim-fay--lab'); i++) {
      assert.ok(i < 100, 'removing the server deletes its claim');
      await sleep(100);
    }
  });

  test('simulated: a hub killed with SIGKILL while pods run re-adopts them after a restart, no duplicate pods', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tshub-k8s-restart-'));
    const token = `k8s-restart-admin-${Date.now()}-0123456789`;
    const written = await writeHubConfig(dir, [
      'authenticator: { admin_users: [admin] }',
      `api_tokens: { "${token}": admin }`,
      `spawner: ${JSON.stringify(spawner())}`,
    ]);
    const api = async (method: string, path: string, body?: unknown, as = token) => {
      const res = await fetch(`${written.pub}${path}`, {
        method,
        headers: { authorization: `token ${as}` },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(60_000),
      });
      const text = await res.text();
      return { status: res.status, text, json: text ? JSON.parse(text) : undefined };
    };
    const serve = () => spawnHub(['--config', written.cfg], `${written.pub}hub/api/`);
    const users = ['ann', 'ben'];
    let hub = await serve();
    try {
      assert.equal((await api('POST', 'hub/api/users', { usernames: users })).status, 201);
      for (const u of users) assert.ok([201, 202].includes((await api('POST', `hub/api/users/${u}/server`)).status));
      for (let i = 0; ; i++) {
        if ((await api('GET', 'hub/api/users?state=ready')).json.length === 2) break;
        assert.ok(i < 240, `both servers ready: ${hub.output().slice(-2000)}`);
        await sleep(500);
      }
      const uids = Object.fromEntries(users.map((u) => [u, podOf(`jupyter-${u}`)!.metadata.uid]));

      hub.proc.kill('SIGKILL');
      await hub.stop();
      hub = await serve();
      for (const u of users) {
        const userToken = (await api('POST', `hub/api/users/${u}/tokens`, {})).json.token;
        const status = await api('GET', `user/${u}/api/status`, undefined, userToken);
        assert.equal(status.status, 200, `${u}: ${status.text}`);
        assert.equal(podOf(`jupyter-${u}`)!.metadata.uid, uids[u], `${u}'s pod is the same pod`);
      }
      const ours = sim.control
        .list('pods', NS)
        .filter((p) => users.includes(p.metadata.labels?.['hub.jupyter.org/username']));
      assert.equal(ours.length, 2, 'no duplicate pods');
      const stop = await api('DELETE', 'hub/api/users/ann/server');
      assert.ok(stop.status === 204 || stop.status === 202, stop.text);
      await gone('jupyter-ann');
    } finally {
      await api('POST', 'hub/api/shutdown', { proxy: true, servers: true }).catch(() => {});
      await Promise.race([once(hub.proc, 'exit'), sleep(30_000)]);
      await hub.stop();
      const proxyPid = readPid(stateFiles(dir).pid);
      if (proxyPid !== null && isAlive(proxyPid)) await killGroup(proxyPid, 2000).catch(() => {});
      await written.db.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  /** A spawn request as the server manager makes one, for driving the spawner directly. */
  const requestFor = (config: ReturnType<typeof buildConfig>['spawner'], name: string): SpawnRequest => ({
    user: { id: 1, name },
    serverName: '',
    prefix: `/user/${name}/`,
    env: {},
    userOptions: {},
    config,
    stateDir: home,
    log: pino({ level: 'silent' }),
  });

  test('simulated: modify_pod_hook changes the pod before it is created; start and stop follow the shared watch', async () => {
    const config = buildConfig({ spawner: spawner({ cmd: ['sleep', '60'] }) }).spawner;
    attachSpawnerHooks(config, {
      modify_pod_hook: (req, pod) => {
        const p = pod as { metadata: { labels: Record<string, string> } };
        p.metadata.labels['example.org/hooked'] = req.user.name;
        return p;
      },
    });
    const factory = kubernetesSpawnerFactory(config);
    try {
      const s = factory.create(requestFor(config, 'hank'));
      const url = await s.start();
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(podOf('jupyter-hank')!.metadata.labels['example.org/hooked'], 'hank');
      assert.equal(await s.poll(), null);
      await s.stop();
      assert.equal(podOf('jupyter-hank'), undefined, 'stop returns once the pod is gone');
      assert.equal(await s.poll(), 1, 'a server whose pod is gone has stopped');
    } finally {
      factory.close?.();
    }
  });

  test('simulated: a watch resumed past the history window gets 410 Gone, lists again and sees what it missed', async () => {
    const lines: string[] = [];
    const config = buildConfig({ spawner: spawner({ cmd: ['sleep', '60'] }) }).spawner;
    const factory = kubernetesSpawnerFactory(config);
    try {
      const req = {
        ...requestFor(config, 'ivy'),
        log: pino({ level: 'info' }, { write: (l: string) => lines.push(l) }),
      };
      const s = factory.create(req);
      await s.start();
      assert.equal(await s.poll(), null);
      // The hub hears nothing while the pod goes and the history that told of it is compacted away.
      sim.control.stallWatches();
      const kc = new KubeConfig();
      kc.loadFromString(sim.kubeconfig);
      await kc
        .makeApiClient(CoreV1Api)
        .deleteNamespacedPod({ name: 'jupyter-ivy', namespace: NS, gracePeriodSeconds: 0 });
      for (let i = 0; podOf('jupyter-ivy'); i++) {
        assert.ok(i < 100, 'the pod is deleted');
        await sleep(50);
      }
      sim.control.compactHistory();
      sim.control.dropWatches();
      sim.control.releaseWatches();
      for (let i = 0; (await s.poll()) === null; i++) {
        assert.ok(i < 100, `the relisted cache shows the pod gone: ${lines.join('')}`);
        await sleep(100);
      }
      assert.ok(
        lines.some((l) => l.includes('410 Gone')),
        'the watch was told its version is too old',
      );
    } finally {
      factory.close?.();
    }
  });

  test('simulated: poll() of 1,000 servers reads the shared watch cache and makes no API call', async () => {
    const labels = { 'app.kubernetes.io/component': 'singleuser-server', 'app.kubernetes.io/managed-by': 'tshub' };
    const pods = sim.control.seedPods(1000, { namespace: NS, prefix: 'jupyter-seeded-', labels });
    const config = buildConfig({ spawner: spawner() }).spawner;
    const factory = kubernetesSpawnerFactory(config);
    try {
      const restored = pods.map((p) =>
        factory.restore(requestFor(config, p.metadata.name), { pod_name: p.metadata.name, namespace: NS }),
      );
      // The first poll starts the shared watches (one list and one watch each); the rest only read.
      assert.equal(await restored[0]!.poll(), null);
      sim.control.resetCounts();
      const results = await Promise.all(restored.map((s) => s.poll()));
      assert.ok(
        results.every((r) => r === null),
        'every seeded server runs',
      );
      const missing = factory.restore(requestFor(config, 'nobody'), { pod_name: 'jupyter-nobody', namespace: NS });
      assert.equal(await missing.poll(), 1);
      assert.equal(sim.control.count(), 0, `no API call: ${JSON.stringify(sim.control.requests.slice(0, 5))}`);
    } finally {
      factory.close?.();
    }
  });
});
