// The hub's kubernetes side alone, in its own process so its memory and CPU can be read: the shared
// cluster (watches, caches) wired as the spawner factory wires it, with one restored spawner per pod (as a
// hub restarted with N running servers).
// Commands on stdin, one JSON answer per line on stdout: "poll" (every server once), "stats".
import { createInterface } from 'node:readline';
import pino from 'pino';
import { buildConfig } from '../src/config/index.ts';
import { KubeApi } from '../src/spawners/kubernetes/client.ts';
import { KubeCluster, KubeSpawner } from '../src/spawners/kubernetes/index.ts';
import type { SpawnRequest } from '../src/spawners/spawner.ts';

const [kubeconfig, namespace, prefix, count] = process.argv.slice(2);
const config = buildConfig({
  spawner: { class: 'kubernetes', kubernetes: { kubeconfig, namespace, events_max_count: 5000 } },
} as never).spawner;
const k = config.kubernetes;
const log = pino({ level: 'warn' });
const cluster = new KubeCluster(KubeApi.fromConfig(k), k, log);
const spawners = Array.from({ length: Number(count) }, (_, i) => {
  const name = `${prefix}${i}`;
  const req: SpawnRequest = {
    user: { id: i + 1, name },
    serverName: '',
    prefix: `/user/${name}/`,
    env: {},
    userOptions: {},
    config,
    stateDir: '/nonexistent',
    log,
  };
  return new KubeSpawner(req, cluster, undefined, { pod_name: name, namespace });
});

async function pollAll(): Promise<{ polled: number; running: number; ms: number }> {
  const t = performance.now();
  const results = await Promise.all(spawners.map((s) => s.poll()));
  return { polled: results.length, running: results.filter((r) => r === null).length, ms: performance.now() - t };
}

const first = await pollAll();
process.stdout.write(`${JSON.stringify({ ready: true, ...first })}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'poll') process.stdout.write(`${JSON.stringify(await pollAll())}\n`);
  else if (line === 'stats') {
    const [pods, events] = cluster.reflectors(namespace!).map((r) => r.stats);
    const { heapUsed, rss } = process.memoryUsage();
    const stats = { pods, events, keptPods: cluster.pods.size, keptEvents: cluster.events.size, heapUsed, rss };
    process.stdout.write(`${JSON.stringify(stats)}\n`);
  }
}
cluster.stop();
