// A simulated Kubernetes API server (core/v1) with one simulated node, for the `kubernetes` spawner's tests
// and benchmark: no real API server can run on these machines. See docs/kubernetes-simulator.md for what is
// simulated faithfully and what is not.
//
// The surface (stable; add to it, do not change it):
//   startK8sSim(opts?: K8sSimOptions) → Promise<K8sSim>
//   K8sSim: { url (https://127.0.0.1:PORT), token, namespace, kubeconfig (YAML text for
//             KubeConfig.loadFromString), kubeconfigPath (the same in a file, for a hub process), ca (PEM),
//             inCluster { pathPrefix, env } (for KubeConfig.loadFromCluster), control: SimControl, close() }
//   SimControl: watches  dropWatches(resource?) · stallWatches(resource?) · releaseWatches() · openWatches()
//               faults   failNext(n, {code?, verb?, resource?}) · setLatency(ms) · compactHistory()
//               counts   count(verb?, resource?) · requests · resetCounts()
//               state    get(resource, ns, name) · list(resource, ns?) · resourceVersion() · pid(ns, pod, container?)
//                        modify(resource, ns, name, edit) (a direct write: one MODIFIED, no validation)
//                        setAllocatable({memory: '1Gi', …})
//               scale    seedPods(n, SeedPodsOptions) → pods · seedEvents(n, SeedEventsOptions)
// Types: ImageSpec (an image's default command/args/env/workingDir), NodeOptions, RequestRecord, Obj.
// Test helpers for client code: ./client.ts (connect, statusOf, isGone, pod, freePort).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { type SimContext, Timers } from './context.ts';
import type { ImageSpec } from './containers.ts';
import { EventRecorder } from './events.ts';
import { type FailOptions, Faults, type RequestRecord } from './faults.ts';
import { Kubelet } from './kubelet.ts';
import { makeNode, NODE_NAME, type NodeOptions } from './scheduler.ts';
import { type SeedEventsOptions, type SeedPodsOptions, seedEvents, seedPods } from './seed.ts';
import { SimServer } from './server.ts';
import { type Obj, Store } from './store.ts';
import { makeServingCert } from './tls.ts';
import { Watches } from './watch.ts';

export type { FailOptions, ImageSpec, NodeOptions, Obj, RequestRecord, SeedEventsOptions, SeedPodsOptions };

export interface K8sSimOptions {
  /** The bearer token clients must send; random by default. */
  token?: string;
  /** The kubeconfig context's namespace (created with default, kube-system, kube-public); default "default". */
  namespace?: string;
  /** The "registry": images and their defaults. When given, an image not listed fails to pull (ErrImagePull);
   *  images named `bad/…` always do. */
  images?: Record<string, ImageSpec>;
  node?: NodeOptions;
  /** Pause between the steps of a pod's or claim's life; default 10 ms. */
  stepMs?: number;
  /** First back-off of image pulls and container restarts (doubling up to 5 minutes); default 1000 ms. */
  backoffMs?: number;
  /** Interval of BOOKMARK events on watches that allow them; default 1000 ms. */
  bookmarkIntervalMs?: number;
  /** Changes kept for watches to resume from; older resourceVersions get 410. Default 10,000. */
  historySize?: number;
  /** Bytes of log kept per container; default 1 MiB. */
  logLimit?: number;
  /**
   * Give each pod its own loopback address (127.100.0.1, 127.100.0.2, …) instead of 127.0.0.1, so pods can
   * all listen on one port as on a real cluster, when their process binds the pod IP (fieldRef status.podIP).
   */
  distinctPodIPs?: boolean;
  /** The environment every container starts from; default the host's PATH and LANG. */
  env?: Record<string, string>;
}

export interface SimControl {
  /** Cuts the open watch streams (only those of `resource`, e.g. "pods", when given); returns how many. */
  dropWatches(resource?: string): number;
  /** Holds the open watch streams (of `resource` when given): nothing is sent until releaseWatches(). */
  stallWatches(resource?: string): number;
  releaseWatches(): void;
  openWatches(): number;
  failNext(n: number, opts?: FailOptions): void;
  setLatency(ms: number): void;
  compactHistory(): void;
  count(verb?: string, resource?: string): number;
  readonly requests: readonly RequestRecord[];
  resetCounts(): void;
  get(resource: string, ns: string | undefined, name: string): Obj | undefined;
  list(resource: string, ns?: string): Obj[];
  resourceVersion(): number;
  /** Writes `edit(object)` straight to the store (one MODIFIED event), e.g. to churn seeded pods in a benchmark. */
  modify(resource: string, ns: string | undefined, name: string, edit: (o: Obj) => Obj): Obj | undefined;
  pid(ns: string, pod: string, container?: string): number | undefined;
  setAllocatable(resources: Record<string, string>): void;
  seedPods(n: number, opts?: SeedPodsOptions): Obj[];
  seedEvents(n: number, opts?: SeedEventsOptions): void;
}

export interface K8sSim {
  url: string;
  token: string;
  namespace: string;
  kubeconfig: string;
  kubeconfigPath: string;
  /** The serving certificate (PEM), which is also the CA a client must trust. */
  ca: string;
  /** A service account mount under `pathPrefix` and the environment a pod sees: set `env` in the process
   *  and call KubeConfig.loadFromCluster(pathPrefix) to connect as from inside the cluster. */
  inCluster: { pathPrefix: string; env: Record<string, string> };
  control: SimControl;
  close(): Promise<void>;
}

export async function startK8sSim(opts: K8sSimOptions = {}): Promise<K8sSim> {
  const token = opts.token ?? randomBytes(24).toString('hex');
  const namespace = opts.namespace ?? 'default';
  const dir = mkdtempSync(join(tmpdir(), 'tshub-k8s-sim-'));
  const store = new Store(opts.historySize ?? 10_000);
  const timers = new Timers();
  const faults = new Faults();
  const events = new EventRecorder(store);
  const watches = new Watches(store, opts.bookmarkIntervalMs ?? 1000);
  const stepMs = opts.stepMs ?? 10;
  const baseEnv: Record<string, string> = opts.env ?? {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    ...(process.env.LANG ? { LANG: process.env.LANG } : {}),
  };
  let clusterIPs = 0;
  const ctx: SimContext = {
    store,
    events,
    watches,
    faults,
    stepMs,
    later: (ms, fn) => timers.later(ms, fn),
    nextClusterIP: () => `10.96.${Math.floor(++clusterIPs / 250)}.${(clusterIPs % 250) + 1}`,
    kubelet: undefined as unknown as Kubelet,
  };
  const tls = makeServingCert(dir);
  const server = new SimServer(ctx, token, tls);
  const url = await server.listen();
  const port = new URL(url).port;
  ctx.kubelet = new Kubelet(store, events, () => store.mustGet('nodes', undefined, NODE_NAME), {
    images: opts.images,
    stepMs,
    backoffMs: opts.backoffMs ?? 1000,
    baseEnv: { ...baseEnv, KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: port },
    workRoot: join(dir, 'pods'),
    logLimit: opts.logLimit ?? 1024 * 1024,
    distinctPodIPs: opts.distinctPodIPs ?? false,
  });
  store.create('nodes', makeNode(opts.node ?? {}));
  for (const ns of new Set(['default', 'kube-system', 'kube-public', namespace]))
    store.create('namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns, labels: { 'kubernetes.io/metadata.name': ns } },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
  for (const ns of store.list('namespaces'))
    store.create('serviceaccounts', {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'default', namespace: ns.metadata.name },
    });

  const kubeconfig = JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: 'sim', cluster: { server: url, 'certificate-authority-data': Buffer.from(tls.cert).toString('base64') } },
    ],
    users: [{ name: 'sim', user: { token } }],
    contexts: [{ name: 'sim', context: { cluster: 'sim', user: 'sim', namespace } }],
    'current-context': 'sim',
  });
  const kubeconfigPath = join(dir, 'kubeconfig');
  writeFileSync(kubeconfigPath, kubeconfig, { mode: 0o600 });
  // What a pod's service account mount and environment hold, for KubeConfig.loadFromCluster(pathPrefix).
  const inClusterPrefix = join(dir, 'in-cluster');
  const saDir = join(inClusterPrefix, 'var/run/secrets/kubernetes.io/serviceaccount');
  mkdirSync(saDir, { recursive: true });
  writeFileSync(join(saDir, 'token'), token, { mode: 0o600 });
  writeFileSync(join(saDir, 'ca.crt'), tls.cert);
  writeFileSync(join(saDir, 'namespace'), namespace);

  const control: SimControl = {
    dropWatches: (resource) => watches.dropAll(resource),
    stallWatches: (resource) => watches.stallAll(resource),
    releaseWatches: () => watches.releaseAll(),
    openWatches: () => watches.count,
    failNext: (n, o) => faults.failNext(n, o),
    setLatency: (ms) => {
      faults.latencyMs = ms;
    },
    compactHistory: () => store.compact(0),
    count: (verb, resource) => faults.count(verb, resource),
    get requests() {
      return faults.requests;
    },
    resetCounts: () => faults.resetCounts(),
    get: (resource, ns, name) => store.get(resource, ns, name),
    list: (resource, ns) => store.list(resource, ns),
    resourceVersion: () => store.resourceVersion,
    modify: (resource, ns, name, edit) => store.modify(resource, ns, name, edit),
    pid: (ns, pod, container) => ctx.kubelet.pid(ns, pod, container),
    setAllocatable: (resources) => {
      store.modify('nodes', undefined, NODE_NAME, (n) => {
        const allocatable = { ...n.status.allocatable, ...resources };
        return { ...n, status: { ...n.status, allocatable, capacity: allocatable } };
      });
      ctx.kubelet.retryScheduling();
    },
    seedPods: (n, o) => seedPods(ctx, n, o),
    seedEvents: (n, o) => seedEvents(ctx, n, o),
  };

  return {
    url,
    token,
    namespace,
    kubeconfig,
    kubeconfigPath,
    ca: tls.cert,
    inCluster: {
      pathPrefix: inClusterPrefix,
      env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: port },
    },
    control,
    async close() {
      timers.clear();
      await ctx.kubelet.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
