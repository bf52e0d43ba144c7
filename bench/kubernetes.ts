// The kubernetes spawner at scale, against the simulated Kubernetes API (no real API server runs here): a
// real hub (`tshub serve`, compiled, with its own node flags) re-adopts N running pods after a restart, then
// M pod events are streamed to its shared event watch. Figures: the hub's RSS after adoption and after the
// events (at once, and once its idle memory trim has run), its CPU per watch event, and the API calls and CPU
// of its periodic polls of every server (no call: poll reads the watch cache).
import { startK8sSim } from '../test/k8s-sim/index.ts';
import { waitAdopted, waitQuiet } from './adopt.ts';
import { fillTshubServers } from './fill.ts';
import { cpuSeconds, rssMb } from './proc.ts';
import type { Figures } from './report.ts';
import { startTshub } from './start-tshub.ts';

const NS = 'bench';
const PREFIX = 'jupyter-bench-';
/** Seconds between the hub's polls of every server (30 by default; shorter here to see some in a run). */
const POLL_INTERVAL = 10;
const POLL_WINDOW_MS = 21_000;
/** Long enough for the hub's idle memory trim (src/lib/memory-trim.ts looks every 15 s). */
const SETTLE_MS = 35_000;

export async function kubernetesBench(
  figures: Figures,
  o: { pods: number; events: number; log: (msg: string) => void },
): Promise<void> {
  const sim = await startK8sSim({ namespace: NS, historySize: o.events * 2 });
  const labels = { 'app.kubernetes.io/component': 'singleuser-server', 'app.kubernetes.io/managed-by': 'tshub' };
  const pods = sim.control.seedPods(o.pods, { namespace: NS, prefix: PREFIX, labels });
  const hub = await startTshub({
    config: {
      spawner: {
        class: 'kubernetes',
        poll_interval: POLL_INTERVAL,
        poll_jitter: 0,
        kubernetes: { kubeconfig: sim.kubeconfigPath, namespace: NS, events_max_count: 5000 },
      },
    },
  });
  try {
    o.log(`k8s: ${o.pods} simulated pods; the hub re-adopts them after a restart`);
    await hub.whileStopped(`${o.pods} kubernetes servers`, o.log, (db) =>
      fillTshubServers(db, o.pods, {
        url: 'http://127.0.0.1:9',
        state: (i) => ({ pod_name: `${PREFIX}${i}`, namespace: NS }),
        prefix: 'k8s-',
      }),
    );
    await waitAdopted(hub, o.pods);
    const pid = hub.pid();
    // Adoption is over once both shared watches (pods, events) are open and the hub has gone quiet.
    for (let i = 0; sim.control.openWatches() < 2; i++) {
      if (i > 1500) throw new Error('the hub did not open its two watches');
      await new Promise((r) => setTimeout(r, 20));
    }
    await waitQuiet(pid);
    figures.set('k8s_hub_rss_adopted_mb', rssMb(pid), 'MB');

    sim.control.resetCounts();
    const pollCpu0 = cpuSeconds(pid);
    await new Promise((r) => setTimeout(r, POLL_WINDOW_MS));
    const polls = POLL_WINDOW_MS / 1000 / POLL_INTERVAL;
    figures.set('k8s_poll_api_calls', sim.control.count(), 'calls');
    figures.set('k8s_poll_cpu_ms', ((cpuSeconds(pid) - pollCpu0) / polls) * 1000, 'ms');

    o.log(`k8s: streaming ${o.events} pod events to the hub's event watch`);
    const cpu0 = cpuSeconds(pid);
    for (let sent = 0; sent < o.events; sent += 1000) {
      sim.control.seedEvents(Math.min(1000, o.events - sent), { namespace: NS, about: pods });
      await new Promise((r) => setTimeout(r, 20));
    }
    await waitQuiet(pid);
    // What the quiet wait itself cost (the polls go on) is left in: a bound, not an exact figure.
    figures.set('k8s_cpu_per_event_us', ((cpuSeconds(pid) - cpu0) / o.events) * 1e6, 'us');
    figures.set('k8s_hub_rss_mb', rssMb(pid), 'MB');
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    figures.set('k8s_hub_rss_settled_mb', rssMb(pid), 'MB');
  } finally {
    await hub.stop();
    await sim.close();
  }
}
