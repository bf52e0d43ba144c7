// The kubernetes spawner at scale, against the simulated Kubernetes API (no real API server runs here):
// N pods, then M pod events streamed to the hub's shared watches. Figures: the hub side's RSS, its CPU per
// watch event, and the API calls a poll of every server makes (none: poll reads the watch cache).
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { startK8sSim } from '../test/k8s-sim/index.ts';
import { rssMb } from './proc.ts';
import type { Figures } from './report.ts';
import { REPO_ROOT } from './start-tshub.ts';

const NS = 'bench';
const PREFIX = 'jupyter-bench-';
const CLOCK_TICKS = 100;

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

class HubSide {
  readonly child: ChildProcess;
  readonly #lines: Interface;
  readonly #answers: string[] = [];
  #wake: (() => void) | null = null;

  constructor(kubeconfig: string, pods: number) {
    this.child = spawn(
      process.execPath,
      [join(REPO_ROOT, 'bench', 'k8s-hub-side.ts'), kubeconfig, NS, PREFIX, String(pods)],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    this.#lines = createInterface({ input: this.child.stdout! });
    this.#lines.on('line', (l) => {
      this.#answers.push(l);
      this.#wake?.();
    });
  }

  async next(): Promise<Record<string, unknown>> {
    while (this.#answers.length === 0) {
      if (this.child.exitCode !== null) throw new Error('the hub side exited');
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
    return JSON.parse(this.#answers.shift()!);
  }

  async ask(command: string): Promise<Record<string, unknown>> {
    this.child.stdin!.write(`${command}\n`);
    return this.next();
  }

  async stop(): Promise<void> {
    this.child.stdin!.end();
    const exited = once(this.child, 'exit');
    setTimeout(() => this.child.kill('SIGKILL'), 5000).unref();
    await exited;
  }
}

export async function kubernetesBench(
  figures: Figures,
  o: { pods: number; events: number; log: (msg: string) => void },
): Promise<void> {
  const sim = await startK8sSim({ namespace: NS, historySize: o.events * 2 });
  let side: HubSide | null = null;
  try {
    const labels = { 'app.kubernetes.io/component': 'singleuser-server', 'app.kubernetes.io/managed-by': 'tshub' };
    const pods = sim.control.seedPods(o.pods, { namespace: NS, prefix: PREFIX, labels });
    o.log(`k8s: ${o.pods} simulated pods; starting the hub side`);
    side = new HubSide(sim.kubeconfigPath, o.pods);
    const first = await side.next();
    if (first.running !== o.pods) throw new Error(`the hub side sees ${first.running} of ${o.pods} pods running`);
    const pid = side.child.pid!;

    sim.control.resetCounts();
    const poll = await side.ask('poll');
    figures.set('k8s_poll_all_ms', Number(poll.ms), 'ms');
    figures.set('k8s_poll_api_calls', sim.control.count(), 'calls');

    const cpu0 = cpuSeconds(pid);
    const before = Number(((await side.ask('stats')).events as { events: number }).events);
    o.log(`k8s: streaming ${o.events} pod events to the hub side's watch`);
    for (let sent = 0; sent < o.events; sent += 1000) {
      sim.control.seedEvents(Math.min(1000, o.events - sent), { namespace: NS, about: pods });
      await new Promise((r) => setTimeout(r, 20));
    }
    for (let i = 0; ; i++) {
      const stats = await side.ask('stats');
      if (Number((stats.events as { events: number }).events) - before >= o.events) {
        figures.set('k8s_events_kept', Number(stats.keptEvents), 'events');
        figures.set('k8s_hub_side_heap_mb', Number(stats.heapUsed) / 2 ** 20, 'MB');
        break;
      }
      if (i > 600) throw new Error(`the hub side's watch got ${JSON.stringify(stats)} of ${o.events} events`);
      await new Promise((r) => setTimeout(r, 100));
    }
    figures.set('k8s_cpu_per_event_us', ((cpuSeconds(pid) - cpu0) / o.events) * 1e6, 'us');
    figures.set('k8s_hub_side_rss_mb', rssMb(pid), 'MB');
  } finally {
    await side?.stop();
    await sim.close();
  }
}
