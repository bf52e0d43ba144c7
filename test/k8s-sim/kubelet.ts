// The simulated node's kubelet: takes a pod from the scheduler's decision through its sandbox (pod IP),
// init containers one by one, image pulls, then every container's creation and start (each a local
// process in its own process group), restarts by restartPolicy with back-off, lifecycle hooks, and graceful
// deletion (preStop, SIGTERM, SIGKILL after the grace period, the object removed once every process is
// gone), recording the events and status the real kubelet records.
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { prepareContainer } from './container-start.ts';
import { findImage, type ImageSpec, LogBuffer } from './containers.ts';
import type { EventRecorder } from './events.ts';
import { runHook } from './hooks.ts';
import { ImagePuller } from './image-pull.ts';
import { podStatus } from './pod-status.ts';
import { launch, signalGroup } from './processes.ts';
import { NODE_NAME, unschedulable } from './scheduler.ts';
import type { Obj, Store } from './store.ts';

export interface KubeletOptions {
  /** Known images; when given, any other image fails to pull. Images named `bad/…` never pull. */
  images?: Record<string, ImageSpec>;
  stepMs: number;
  backoffMs: number;
  baseEnv: Record<string, string>;
  workRoot: string;
  logLimit: number;
  distinctPodIPs: boolean;
}

interface Run {
  spec: Obj;
  proc?: ChildProcess;
  log: LogBuffer;
  previous?: LogBuffer;
  restarts: number;
  exited: boolean;
  env: Record<string, string>;
  cwd: string;
}

interface PodRun {
  ns: string;
  name: string;
  uid: string;
  ip: string;
  containers: Map<string, Run>;
  timers: Set<NodeJS.Timeout>;
  deleting: boolean;
  backoff: number;
}

type OnExit = (r: Run, code: number, reason: string, message?: string) => void;

const MAX_BACKOFF_MS = 300_000;
const at = (c: Obj) => `spec.${c.isInit ? 'initContainers' : 'containers'}{${c.name}}`;

export class Kubelet {
  private readonly runs = new Map<string, PodRun>();
  /** Pods the scheduler refused, tried again whenever room may have appeared. */
  private readonly unscheduled = new Set<PodRun>();
  private readonly puller: ImagePuller;
  private ips = 0;
  readonly phantoms = new Set<string>();

  private readonly store: Store;
  private readonly events: EventRecorder;
  private readonly node: () => Obj;
  private readonly opts: KubeletOptions;

  constructor(store: Store, events: EventRecorder, node: () => Obj, opts: KubeletOptions) {
    this.store = store;
    this.events = events;
    this.node = node;
    this.opts = opts;
    this.puller = new ImagePuller(opts.images, events);
  }

  admit(pod: Obj): void {
    const m = pod.metadata;
    const run: PodRun = {
      ...{ ns: m.namespace, name: m.name, uid: m.uid, ip: '' },
      ...{ containers: new Map(), timers: new Set(), deleting: false, backoff: this.opts.backoffMs },
    };
    this.runs.set(`${m.namespace}/${m.name}`, run);
    this.later(run, this.opts.stepMs, () => this.schedule(run));
  }

  private later(run: PodRun, ms: number, step: () => void): void {
    const t = setTimeout(() => {
      run.timers.delete(t);
      if (!run.deleting) step();
    }, ms);
    run.timers.add(t);
  }

  /** Runs `step` again after the pod's back-off, which doubles up to five minutes like the kubelet's. */
  private retry(run: PodRun, step: () => void): void {
    const ms = run.backoff;
    run.backoff = Math.min(ms * 2, MAX_BACKOFF_MS);
    this.later(run, ms, step);
  }

  private current(run: PodRun): Obj | undefined {
    const pod = this.store.get('pods', run.ns, run.name);
    return pod?.metadata.uid === run.uid ? pod : undefined;
  }

  private edit(run: PodRun, change: (s: ReturnType<typeof podStatus>, pod: Obj) => void): Obj | undefined {
    if (!this.current(run)) return undefined;
    return this.store.modify('pods', run.ns, run.name, (p) => {
      change(podStatus(p), p);
      return p;
    });
  }

  private note(pod: Obj | undefined, type: 'Normal' | 'Warning', reason: string, msg: string, c: Obj): void {
    if (pod) this.events.record(pod, type, reason, msg, 'kubelet', at(c));
  }

  /** The pod's containers, init ones marked (so statuses, events and logs know which list they are in). */
  private specs(pod: Obj): { inits: Obj[]; mains: Obj[] } {
    return {
      inits: (pod.spec.initContainers ?? []).map((c: Obj) => ({ ...c, isInit: true })),
      mains: pod.spec.containers,
    };
  }

  private schedule(run: PodRun): void {
    const pod = this.current(run);
    if (!pod) return;
    const why = unschedulable(this.store, this.node(), pod, this.phantoms);
    if (why) {
      this.unscheduled.add(run);
      this.edit(run, (s) => s.condition('PodScheduled', 'False', 'Unschedulable', why));
      this.events.record(pod, 'Warning', 'FailedScheduling', why, 'default-scheduler');
      return;
    }
    this.unscheduled.delete(run);
    const bound = this.edit(run, (s, p) => {
      p.spec.nodeName = NODE_NAME;
      s.condition('PodScheduled', 'True');
    });
    if (!bound) return;
    const msg = `Successfully assigned ${run.ns}/${run.name} to ${NODE_NAME}`;
    this.events.record(bound, 'Normal', 'Scheduled', msg, 'default-scheduler');
    this.later(run, this.opts.stepMs, () => this.sandbox(run));
  }

  /** Tries the refused pods again (a pod ended, a claim bound, the node grew). */
  retryScheduling(): void {
    for (const run of [...this.unscheduled]) {
      this.unscheduled.delete(run);
      if (this.current(run) && !run.deleting) this.schedule(run);
    }
  }

  /** 127.0.0.1 for every pod, or with `distinctPodIPs` one loopback address each (all of 127/8 is local). */
  private podIP(): string {
    if (!this.opts.distinctPodIPs) return '127.0.0.1';
    const n = this.ips++;
    return `127.${100 + Math.floor(n / 65_024)}.${Math.floor(n / 254) % 256}.${(n % 254) + 1}`;
  }

  private sandbox(run: PodRun): void {
    run.ip = this.podIP();
    const pod = this.edit(run, (s, p) => {
      const { inits, mains } = this.specs(p);
      s.started(run.ip);
      for (const c of inits) s.waiting(c, 'PodInitializing');
      for (const c of mains) s.waiting(c, inits.length ? 'PodInitializing' : 'ContainerCreating');
      s.condition('PodReadyToStartContainers', 'True');
      if (inits.length) s.initializing(inits.map((c) => c.name));
      else s.condition('Initialized', 'True');
      s.updateReady();
    });
    if (pod) this.initStep(run, 0);
  }

  /** Init container `i` runs to completion before the next; after the last, the pod's containers. */
  private initStep(run: PodRun, i: number): void {
    const pod = this.current(run);
    if (!pod) return;
    const { inits, mains } = this.specs(pod);
    const c = inits[i];
    if (!c) {
      if (inits.length)
        this.edit(run, (s) => {
          s.condition('Initialized', 'True');
          for (const m of mains) s.waiting(m, 'ContainerCreating');
        });
      return this.pullMains(run);
    }
    if (!this.pulled(run, pod, c, () => this.initStep(run, i))) return;
    this.later(run, this.opts.stepMs, () =>
      this.start(run, c, (r, code, reason, message) => this.initExited(run, i, c, r, code, reason, message)),
    );
  }

  private initExited(run: PodRun, i: number, c: Obj, r: Run, code: number, reason: string, message?: string): void {
    const pod = this.current(run);
    if (!pod) return;
    if (code === 0) {
      this.edit(run, (s) => s.terminated(c, 0, reason));
      return this.later(run, this.opts.stepMs, () => this.initStep(run, i + 1));
    }
    if (pod.spec.restartPolicy === 'Never') {
      this.edit(run, (s) => {
        s.terminated(c, code, reason, message);
        s.failed();
      });
      return this.retryScheduling();
    }
    this.crashLoop(run, c, r, code, reason, () => this.initStep(run, i));
  }

  /** Pulls `c`'s image; on failure sets the waiting reason, records the back-off and retries `again`. */
  private pulled(run: PodRun, pod: Obj, c: Obj, again: () => void): boolean {
    const result = this.puller.pull(pod, c, at(c));
    if (result.ok) return true;
    this.edit(run, (s) => s.waiting(c, result.reason, result.message));
    if (result.reason === 'ErrImageNeverPull') this.retry(run, again);
    else
      this.later(run, this.opts.stepMs, () => {
        const msg = this.puller.backOff(pod, c, at(c));
        this.edit(run, (s) => s.waiting(c, 'ImagePullBackOff', msg));
        this.retry(run, again);
      });
    return false;
  }

  private pullMains(run: PodRun): void {
    const pod = this.current(run);
    if (!pod) return;
    for (const c of pod.spec.containers as Obj[]) if (!this.pulled(run, pod, c, () => this.pullMains(run))) return;
    this.later(run, this.opts.stepMs, () => {
      for (const c of this.current(run)?.spec.containers ?? [])
        if (!run.containers.get(c.name)?.proc) this.start(run, c, (r, ...end) => this.exited(run, c, r, ...end));
    });
  }

  private start(run: PodRun, c: Obj, onExit: OnExit): void {
    const pod = this.current(run);
    if (!pod) return;
    const podDir = join(this.opts.workRoot, `${run.ns}_${run.name}_${run.uid}`);
    const image = findImage(this.opts.images, c.image);
    const ready = prepareContainer(this.store, pod, c, image, podDir, this.opts.baseEnv);
    if (!ready.ok) {
      this.edit(run, (s) => s.waiting(c, ready.reason, ready.message));
      this.note(pod, 'Warning', 'Failed', `Error: ${ready.message}`, c);
      return this.retry(run, () => this.start(run, c, onExit));
    }
    const prev = run.containers.get(c.name);
    const r: Run = {
      ...{ spec: c, log: new LogBuffer(this.opts.logLimit), restarts: prev ? prev.restarts + 1 : 0 },
      ...{ exited: false, env: ready.env, cwd: ready.cwd, previous: prev?.log },
    };
    run.containers.set(c.name, r);
    this.note(pod, 'Normal', 'Created', `Created container: ${c.name}`, c);
    r.proc = launch(ready.argv, ready.cwd, ready.env, r.log, {
      started: () => {
        const p = this.edit(run, (s) => s.running(c, r.restarts));
        this.note(p, 'Normal', 'Started', `Started container ${c.name}`, c);
        if (c.lifecycle?.postStart) this.postStart(run, c, r);
      },
      exited: (code, reason, message) => {
        if (reason === 'StartError') this.note(pod, 'Warning', 'Failed', `Error: ${message}`, c);
        r.exited = true;
        if (run.deleting) return this.finishDelete(run);
        onExit(r, code, reason, message);
      },
    });
  }

  /** A failing postStart hook kills the container, which then restarts (or not) by the pod's policy. */
  private postStart(run: PodRun, c: Obj, r: Run): void {
    const grace = (this.current(run)?.spec.terminationGracePeriodSeconds ?? 30) * 1000;
    void runHook(c.lifecycle.postStart, { env: r.env, cwd: r.cwd, podIP: run.ip }, grace).then((err) => {
      if (err === null || r.exited || !r.proc) return;
      this.note(this.current(run), 'Warning', 'FailedPostStartHook', err, c);
      signalGroup(r.proc, 'SIGTERM');
    });
  }

  private exited(run: PodRun, c: Obj, r: Run, code: number, reason: string, message?: string): void {
    const pod = this.current(run);
    if (!pod) return;
    const policy = pod.spec.restartPolicy;
    if (policy === 'Always' || (policy === 'OnFailure' && code !== 0))
      return this.crashLoop(run, c, r, code, reason, () =>
        this.start(run, c, (r2, ...end) => this.exited(run, c, r2, ...end)),
      );
    this.edit(run, (s) => s.terminated(c, code, reason, message));
    this.retryScheduling();
  }

  private crashLoop(run: PodRun, c: Obj, r: Run, code: number, reason: string, again: () => void): void {
    const who = `${run.name}_${run.ns}(${run.uid})`;
    const msg = `back-off ${Math.round(run.backoff / 1000)}s restarting failed container=${c.name} pod=${who}`;
    const p = this.edit(run, (s) => s.crashLoop(c, code, reason, msg));
    this.note(p, 'Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${who}`, c);
    r.proc = undefined;
    this.retry(run, again);
  }

  /**
   * Stops the pod's processes: preStop hooks, then SIGTERM, SIGKILL once `grace` seconds have passed; the
   * pod object goes once all are gone (at once when none runs). With `removed` the object is already gone.
   */
  kill(pod: Obj, grace: number, removed = false): void {
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    const run = this.runs.get(key);
    this.phantoms.delete(pod.metadata.uid);
    if (!run || run.uid !== pod.metadata.uid) {
      if (!removed) this.store.remove('pods', pod.metadata.namespace, pod.metadata.name);
      return this.retryScheduling();
    }
    run.deleting = true;
    this.unscheduled.delete(run);
    for (const t of run.timers) clearTimeout(t);
    run.timers.clear();
    const live = [...run.containers.values()].filter((r) => r.proc && !r.exited);
    if (removed) this.runs.delete(key);
    if (live.length === 0) return this.finishDelete(run);
    for (const r of live) {
      if (!removed) this.note(pod, 'Normal', 'Killing', `Stopping container ${r.spec.name}`, r.spec);
      if (grace === 0 || !r.spec.lifecycle?.preStop) signalGroup(r.proc!, grace === 0 ? 'SIGKILL' : 'SIGTERM');
      else
        void runHook(r.spec.lifecycle.preStop, { env: r.env, cwd: r.cwd, podIP: run.ip }, grace * 1000).then((err) => {
          if (err) this.note(pod, 'Warning', 'FailedPreStopHook', err, r.spec);
          if (!r.exited) signalGroup(r.proc!, 'SIGTERM');
        });
    }
    if (grace > 0) {
      const t = setTimeout(() => {
        for (const r of live) if (!r.exited) signalGroup(r.proc!, 'SIGKILL');
      }, grace * 1000);
      run.timers.add(t);
    }
  }

  private finishDelete(run: PodRun): void {
    if ([...run.containers.values()].some((r) => r.proc && !r.exited)) return;
    for (const t of run.timers) clearTimeout(t);
    const key = `${run.ns}/${run.name}`;
    if (this.runs.get(key) === run) this.runs.delete(key);
    if (this.current(run)) this.store.remove('pods', run.ns, run.name);
    this.retryScheduling();
  }

  /** A container's current or previous log, if it ever started (see logs.ts for the API's answers). */
  logOf(ns: string, name: string, container: string, previous: boolean): LogBuffer | undefined {
    const r = this.runs.get(`${ns}/${name}`)?.containers.get(container);
    return previous ? r?.previous : r?.log;
  }

  /** The process id of a pod's container, for tests that kill it behind the kubelet's back. */
  pid(ns: string, name: string, container?: string): number | undefined {
    const run = this.runs.get(`${ns}/${name}`);
    const main = run && this.current(run)?.spec.containers[0]?.name;
    const r = run?.containers.get(container ?? main ?? '');
    return r?.exited ? undefined : r?.proc?.pid;
  }

  /** Kills every process at once and forgets every pod: the simulator is closing. */
  async close(): Promise<void> {
    const exits: Promise<unknown>[] = [];
    for (const run of this.runs.values()) {
      for (const t of run.timers) clearTimeout(t);
      run.deleting = true;
      for (const r of run.containers.values())
        if (r.proc && !r.exited) {
          const proc = r.proc;
          exits.push(new Promise((resolve) => proc.once('exit', resolve)));
          signalGroup(proc, 'SIGKILL');
        }
    }
    this.runs.clear();
    this.unscheduled.clear();
    await Promise.race([Promise.all(exits), new Promise((resolve) => setTimeout(resolve, 2000))]);
  }
}
