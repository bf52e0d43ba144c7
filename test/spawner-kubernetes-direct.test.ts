// The kubernetes spawner driven directly (as the server manager drives it) against the simulated
// Kubernetes API (test/k8s-sim; no real API server runs on these machines): hooks, the shared watch's
// recovery from 410 Gone, and polls that make no API call.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import pino from 'pino';
import { buildConfig } from '../src/config/index.ts';
import { attachSpawnerHooks } from '../src/config/spawner-hooks.ts';
import { kubernetesSpawnerFactory } from '../src/spawners/kubernetes/index.ts';
import { NS, requestFor, type SimFixture, startSimFixture } from './kubernetes-fixture.ts';

describe('kubernetes spawner objects against the simulated Kubernetes API', () => {
  let f: SimFixture;
  let sim: SimFixture['sim'];
  before(async () => {
    f = await startSimFixture();
    sim = f.sim;
  });
  after(async () => {
    await f?.close();
  });
  const spawner: SimFixture['spawner'] = (...a) => f.spawner(...a);
  const podOf: SimFixture['podOf'] = (name) => f.podOf(name);

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
      const s = factory.create(requestFor(config, 'hank', f.home));
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

  test('simulated: enable_user_namespaces creates the user namespace and watches all namespaces', async () => {
    const config = buildConfig({
      spawner: spawner({ cmd: ['sleep', '60'], enable_user_namespaces: true, user_namespace_template: 'u-{username}' }),
    }).spawner;
    const factory = kubernetesSpawnerFactory(config);
    try {
      sim.control.resetCounts();
      const s = factory.create(requestFor(config, 'jo', f.home));
      await s.start();
      assert.equal(s.state().namespace, 'u-jo');
      assert.ok(sim.control.get('namespaces', undefined, 'u-jo'), 'the namespace is created');
      assert.ok(sim.control.get('pods', 'u-jo', 'jupyter-jo'), 'the pod runs in it');
      const watches = sim.control.requests.filter((r) => r.verb === 'watch');
      assert.ok(watches.length >= 2 && watches.every((r) => !r.namespace), 'one pod and one event watch, cluster-wide');
      await s.stop();
    } finally {
      factory.close?.();
    }
  });

  test("simulated: recentLogs reads the server container's last lines, beside a sidecar; none once the pod is gone", async () => {
    const config = buildConfig({
      spawner: spawner({
        cmd: ['sh', '-c', 'for i in 1 2 3 4 5; do echo "line $i"; done; echo oops >&2; sleep 60'],
        extra_containers: [
          { name: 'sidecar', image: 'example/sidecar:1', command: ['sh', '-c', 'echo side; sleep 60'] },
        ],
      }),
    }).spawner;
    const factory = kubernetesSpawnerFactory(config);
    try {
      const s = factory.create(requestFor(config, 'lou', f.home));
      assert.deepEqual(await s.recentLogs!(10), [], 'no pod yet');
      await s.start();
      let lines: string[] = [];
      for (let i = 0; lines.length < 6; i++) {
        assert.ok(i < 100, `the container logged: ${lines}`);
        await sleep(50);
        lines = await s.recentLogs!(100);
      }
      assert.deepEqual(lines, ['line 1', 'line 2', 'line 3', 'line 4', 'line 5', 'oops']);
      assert.deepEqual(await s.recentLogs!(2), ['line 5', 'oops']);
      await s.stop();
      assert.deepEqual(await s.recentLogs!(10), [], 'the pod is gone');
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
        ...requestFor(config, 'ivy', f.home),
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
        factory.restore(requestFor(config, p.metadata.name, f.home), { pod_name: p.metadata.name, namespace: NS }),
      );
      // The first poll starts the shared watches (one list and one watch each); the rest only read.
      sim.control.resetCounts();
      assert.equal(await restored[0]!.poll(), null);
      // The pod list comes in pages of 500, the later ones continued without a resourceVersion.
      const podLists = sim.control.requests.filter((r) => r.verb === 'list' && r.resource === 'pods');
      assert.ok(podLists.length >= 2, JSON.stringify(podLists));
      assert.ok(podLists.every((r) => r.query.includes('limit=500')));
      assert.ok(podLists.slice(1).every((r) => r.query.includes('continue=') && !r.query.includes('resourceVersion')));
      sim.control.resetCounts();
      const results = await Promise.all(restored.map((s) => s.poll()));
      assert.ok(
        results.every((r) => r === null),
        'every seeded server runs',
      );
      const missing = factory.restore(requestFor(config, 'nobody', f.home), {
        pod_name: 'jupyter-nobody',
        namespace: NS,
      });
      assert.equal(await missing.poll(), 1);
      assert.equal(sim.control.count(), 0, `no API call: ${JSON.stringify(sim.control.requests.slice(0, 5))}`);
    } finally {
      factory.close?.();
    }
  });
});
