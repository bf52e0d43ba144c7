// Bulk seeding for benchmarks: thousands of objects written straight into the store (each with its own
// resourceVersion and watch event, as if created through the API) without validation round trips, and pods
// without processes ("phantom" pods, already Running on the node and taking none of its room).
import type { SimContext } from './context.ts';
import { NODE_NAME } from './scheduler.ts';
import { now, type Obj } from './store.ts';

/** Unique suffixes without a random draw per object (50,000 draws cost more than the objects). */
let seeded = 0;

export interface SeedPodsOptions {
  namespace?: string;
  /** Names are `${prefix}${i}`; default "seed-". */
  prefix?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  image?: string;
}

export function seedPods(ctx: SimContext, n: number, o: SeedPodsOptions = {}): Obj[] {
  const ns = o.namespace ?? 'default';
  const prefix = o.prefix ?? 'seed-';
  const ts = now();
  const out: Obj[] = [];
  for (let i = 0; i < n; i++) {
    const name = `${prefix}${i}`;
    const ready = { lastProbeTime: null, lastTransitionTime: ts, status: 'True' };
    const pod = ctx.store.create('pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: ns, labels: { ...o.labels }, annotations: { ...o.annotations } },
      spec: {
        nodeName: NODE_NAME,
        restartPolicy: 'OnFailure',
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: 'notebook',
            image: o.image ?? 'sim/phantom:1',
            ports: [{ containerPort: 8888, name: 'notebook-port', protocol: 'TCP' }],
          },
        ],
      },
      status: {
        phase: 'Running',
        hostIP: '127.0.0.1',
        podIP: '127.0.0.1',
        podIPs: [{ ip: '127.0.0.1' }],
        startTime: ts,
        conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map((type) => ({ type, ...ready })),
        containerStatuses: [
          {
            name: 'notebook',
            image: o.image ?? 'sim/phantom:1',
            imageID: '',
            containerID: `containerd://${(++seeded).toString(16).padStart(64, '0')}`,
            ready: true,
            started: true,
            restartCount: 0,
            state: { running: { startedAt: ts } },
            lastState: {},
          },
        ],
        qosClass: 'BestEffort',
      },
    });
    ctx.kubelet.phantoms.add(pod.metadata.uid);
    out.push(pod);
  }
  return out;
}

export interface SeedEventsOptions {
  namespace?: string;
  /** The objects the events are about, in turn; by default a phantom name per event. */
  about?: Obj[];
  reason?: string;
  message?: string;
  type?: 'Normal' | 'Warning';
}

export function seedEvents(ctx: SimContext, n: number, o: SeedEventsOptions = {}): void {
  const ns = o.namespace ?? 'default';
  const ts = now();
  for (let i = 0; i < n; i++) {
    const about = o.about?.length ? o.about[i % o.about.length]! : undefined;
    const target = about?.metadata ?? { name: `seed-${i}`, namespace: ns, uid: '', resourceVersion: '' };
    ctx.store.create('events', {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${target.name}.${(++seeded).toString(16).padStart(16, '0')}`, namespace: ns },
      involvedObject: {
        kind: 'Pod',
        namespace: ns,
        name: target.name,
        uid: target.uid,
        apiVersion: 'v1',
        resourceVersion: target.resourceVersion,
      },
      reason: o.reason ?? 'Started',
      message: o.message ?? 'Started container notebook',
      source: { component: 'kubelet', host: NODE_NAME },
      firstTimestamp: ts,
      lastTimestamp: ts,
      count: 1,
      type: o.type ?? 'Normal',
      eventTime: null,
      reportingComponent: 'kubelet',
      reportingInstance: NODE_NAME,
    });
  }
}
