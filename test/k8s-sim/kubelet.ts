// The simulated node's kubelet: takes a pod from the scheduler's decision through image pull, container
// creation and start (each container a local process in its own process group, on 127.0.0.1), restarts by
// restartPolicy with back-off, and graceful deletion (SIGTERM, SIGKILL after the grace period, the object
// removed once every process is gone), recording the events and status the real kubelet records.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, containerArgv, containerEnv, findImage, type ImageSpec, LogBuffer } from './containers.ts';
import type { EventRecorder } from './events.ts';
import { NODE_NAME, unschedulable } from './scheduler.ts';
import type { Obj, Store } from './store.ts';
import { podStatus } from './pod-status.ts';
import { launch, signalGroup } from './processes.ts';

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
  name: string;
  proc?: ChildProcess;
  log: LogBuffer;
  previous?: LogBuffer;
  restarts: number;
  exited: boolean;
}

interface PodRun {
  ns: string;
  name: string;
  uid: string;
  containers: Map<string, Run>;
  timers: Set<NodeJS.Timeout>;
  deleting: boolean;
  backoff: number;
}

const MAX_BACKOFF_MS = 300_000;

export class Kubelet {
  private readonly runs = new Map<string, PodRun>();
  /** Pods the scheduler refused, tried again whenever room may have appeared. */
  private readonly unscheduled = new Set<PodRun>();
  private readonly pulled = new Set<string>();
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
  }

  admit(pod: Obj): void {
    const m = pod.metadata;
    const run: PodRun = {
      ns: m.namespace,
      name: m.name,
      uid: m.uid,
      containers: new Map(),
      timers: new Set(),
      deleting: false,
      backoff: this.opts.backoffMs,
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

  private current(run: PodRun): Obj | undefined {
    const pod = this.store.get('pods', run.ns, run.name);
    return pod?.metadata.uid === run.uid ? pod : undefined;
  }

  private edit(run: PodRun, change: (pod: Obj) => void): Obj | undefined {
    if (!this.current(run)) return undefined;
    return this.store.modify('pods', run.ns, run.name, (p) => {
      change(p);
      return p;
    });
  }

  private schedule(run: PodRun): void {
    const pod = this.current(run);
    if (!pod) return;
    const why = unschedulable(this.store, this.node(), pod, this.phantoms);
    if (why) {
      this.unscheduled.add(run);
      this.edit(run, (p) => podStatus(p).condition('PodScheduled', 'False', 'Unschedulable', why));
      this.events.record(pod, 'Warning', 'FailedScheduling', why, 'default-scheduler');
      return;
    }
    this.unscheduled.delete(run);
    const bound = this.edit(run, (p) => {
      p.spec.nodeName = NODE_NAME;
      podStatus(p).condition('PodScheduled', 'True');
    });
    if (!bound) return;
    this.events.record(
      bound,
      'Normal',
      'Scheduled',
      `Successfully assigned ${run.ns}/${run.name} to ${NODE_NAME}`,
      'default-scheduler',
    );
    this.later(run, this.opts.stepMs, () => this.prepare(run));
  }

  /** Tries the refused pods again (a pod ended, a claim bound, the node grew). */
  retryScheduling(): void {
    for (const run of [...this.unscheduled]) {
      this.unscheduled.delete(run);
      if (this.current(run) && !run.deleting) this.schedule(run);
    }
  }

  private prepare(run: PodRun): void {
    const pod = this.edit(run, (p) => {
      const s = podStatus(p);
      s.started(this.podIP());
      for (const c of p.spec.containers) s.waiting(c, 'ContainerCreating');
      s.condition('PodReadyToStartContainers', 'True');
      s.condition('Initialized', 'True');
      s.updateReady();
    });
    if (pod) this.pull(run);
  }

  private ips = 0;

  /** 127.0.0.1 for every pod, or with `distinctPodIPs` one loopback address each (all of 127/8 is local). */
  private podIP(): string {
    if (!this.opts.distinctPodIPs) return '127.0.0.1';
    const n = this.ips++;
    return `127.${100 + Math.floor(n / 65_024)}.${Math.floor(n / 254) % 256}.${(n % 254) + 1}`;
  }

  private pullable(image: string): boolean {
    if (image.startsWith('bad/')) return false;
    return this.opts.images === undefined || findImage(this.opts.images, image) !== undefined;
  }

  private pull(run: PodRun): void {
    const pod = this.current(run);
    if (!pod) return;
    for (const c of pod.spec.containers as Obj[]) {
      const path = `spec.containers{${c.name}}`;
      if (this.pulled.has(c.image) && c.imagePullPolicy !== 'Always') {
        this.events.record(
          pod,
          'Normal',
          'Pulled',
          `Container image "${c.image}" already present on machine`,
          'kubelet',
          path,
        );
        continue;
      }
      if (c.imagePullPolicy === 'Never') {
        const msg = `Container image "${c.image}" is not present with pull policy of Never`;
        this.edit(run, (p) => podStatus(p).waiting(c, 'ErrImageNeverPull', msg));
        this.events.record(pod, 'Warning', 'ErrImageNeverPull', msg, 'kubelet', path);
        return this.retry(run, () => this.pull(run));
      }
      this.events.record(pod, 'Normal', 'Pulling', `Pulling image "${c.image}"`, 'kubelet', path);
      if (!this.pullable(c.image)) return this.pullFailed(run, pod, c);
      this.pulled.add(c.image);
      this.events.record(
        pod,
        'Normal',
        'Pulled',
        `Successfully pulled image "${c.image}" in 1ms (1ms including waiting). Image size: 0 bytes.`,
        'kubelet',
        path,
      );
    }
    this.later(run, this.opts.stepMs, () => this.startAll(run));
  }

  private pullFailed(run: PodRun, pod: Obj, c: Obj): void {
    const path = `spec.containers{${c.name}}`;
    const why = `rpc error: code = NotFound desc = failed to pull and unpack image "${c.image}": not found in the simulator's registry`;
    this.edit(run, (p) => podStatus(p).waiting(c, 'ErrImagePull', why));
    this.events.record(pod, 'Warning', 'Failed', `Failed to pull image "${c.image}": ${why}`, 'kubelet', path);
    this.events.record(pod, 'Warning', 'Failed', 'Error: ErrImagePull', 'kubelet', path);
    this.later(run, this.opts.stepMs, () => {
      const msg = `Back-off pulling image "${c.image}"`;
      const p = this.edit(run, (q) => podStatus(q).waiting(c, 'ImagePullBackOff', msg));
      if (!p) return;
      this.events.record(p, 'Normal', 'BackOff', msg, 'kubelet', path);
      this.events.record(p, 'Warning', 'Failed', 'Error: ImagePullBackOff', 'kubelet', path);
      this.retry(run, () => this.pull(run));
    });
  }

  /** Runs `step` again after the pod's back-off, which doubles up to five minutes like the kubelet's. */
  private retry(run: PodRun, step: () => void): void {
    const ms = run.backoff;
    run.backoff = Math.min(ms * 2, MAX_BACKOFF_MS);
    this.later(run, ms, step);
  }

  private startAll(run: PodRun): void {
    const pod = this.current(run);
    if (!pod) return;
    for (const c of pod.spec.containers as Obj[]) if (!run.containers.get(c.name)?.proc) this.start(run, c);
  }

  private start(run: PodRun, c: Obj): void {
    const pod = this.current(run);
    if (!pod) return;
    const path = `spec.containers{${c.name}}`;
    const image = findImage(this.opts.images, c.image);
    const podDir = join(this.opts.workRoot, `${run.ns}_${run.name}_${run.uid}`);
    let env: Record<string, string>;
    try {
      env = containerEnv(this.store, pod, c, {
        ...this.opts.baseEnv,
        HOME: podDir,
        HOSTNAME: run.name,
        ...image?.env,
      });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      return this.cannotCreate(run, pod, c, 'CreateContainerConfigError', err.message);
    }
    const argv = containerArgv(c, image, env);
    if (!argv) return this.cannotCreate(run, pod, c, 'CreateContainerError', 'no command specified');
    const cwd = c.workingDir ?? image?.workingDir ?? podDir;
    try {
      mkdirSync(podDir, { recursive: true });
      if (!existsSync(cwd)) mkdirSync(cwd, { recursive: true });
    } catch (err) {
      return this.cannotCreate(
        run,
        pod,
        c,
        'CreateContainerError',
        `failed to create working directory: ${(err as Error).message}`,
      );
    }
    const prev = run.containers.get(c.name);
    const r: Run = {
      name: c.name,
      log: new LogBuffer(this.opts.logLimit),
      restarts: prev ? prev.restarts + 1 : 0,
      exited: false,
    };
    if (prev) r.previous = prev.log;
    run.containers.set(c.name, r);
    this.events.record(pod, 'Normal', 'Created', `Created container: ${c.name}`, 'kubelet', path);
    r.proc = launch(argv, cwd, env, r.log, {
      started: () => {
        const p = this.edit(run, (q) => podStatus(q).running(c, r.restarts));
        if (p) this.events.record(p, 'Normal', 'Started', `Started container ${c.name}`, 'kubelet', path);
      },
      exited: (code, reason, message) => {
        if (reason === 'StartError') this.events.record(pod, 'Warning', 'Failed', `Error: ${message}`, 'kubelet', path);
        this.exited(run, c, r, code, reason, message);
      },
    });
  }

  private cannotCreate(run: PodRun, pod: Obj, c: Obj, reason: string, message: string): void {
    this.edit(run, (p) => podStatus(p).waiting(c, reason, message));
    this.events.record(pod, 'Warning', 'Failed', `Error: ${message}`, 'kubelet', `spec.containers{${c.name}}`);
    this.retry(run, () => this.start(run, c));
  }

  private exited(run: PodRun, c: Obj, r: Run, code: number, reason: string, message?: string): void {
    r.exited = true;
    r.proc = undefined;
    if (run.deleting) return this.finishDelete(run);
    const pod = this.current(run);
    if (!pod) return;
    const policy = pod.spec.restartPolicy;
    const restart = policy === 'Always' || (policy === 'OnFailure' && code !== 0);
    if (!restart) {
      this.edit(run, (p) => podStatus(p).terminated(c, code, reason, message));
      this.retryScheduling();
      return;
    }
    const wait = run.backoff;
    const msg = `back-off ${Math.round(wait / 1000)}s restarting failed container=${c.name} pod=${run.name}_${run.ns}(${run.uid})`;
    const p = this.edit(run, (q) => podStatus(q).crashLoop(c, code, reason, msg));
    if (p)
      this.events.record(
        p,
        'Warning',
        'BackOff',
        `Back-off restarting failed container ${c.name} in pod ${run.name}_${run.ns}(${run.uid})`,
        'kubelet',
        `spec.containers{${c.name}}`,
      );
    this.retry(run, () => this.start(run, c));
  }

  /**
   * Stops the pod's processes: SIGTERM now, SIGKILL after `grace` seconds; the pod object goes once all are
   * gone (at once when none runs). With `removed` the object is already gone (a forced delete).
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
      if (!removed)
        this.events.record(
          pod,
          'Normal',
          'Killing',
          `Stopping container ${r.name}`,
          'kubelet',
          `spec.containers{${r.name}}`,
        );
      signalGroup(r.proc!, grace === 0 ? 'SIGKILL' : 'SIGTERM');
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
    const r = container ? run?.containers.get(container) : [...(run?.containers.values() ?? [])][0];
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
