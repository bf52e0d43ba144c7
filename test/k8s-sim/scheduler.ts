// The one node and the scheduler's decision for a pod: resource requests against the node's allocatable
// (any resource name, so GPUs like nvidia.com/gpu count too), nodeSelector and required node affinity
// against the node's labels, and claims that must exist. The refusal is worded as the real scheduler's.
import type { Obj, Store } from './store.ts';

export const NODE_NAME = 'sim-node';

export interface NodeOptions {
  /** Allocatable resources, as quantities: default cpu "4", memory "8Gi", pods "110". */
  allocatable?: Record<string, string>;
  /** Extra node labels (kubernetes.io/hostname, os and arch are always there). */
  labels?: Record<string, string>;
}

const SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** A Kubernetes quantity ("500m", "1Gi", "2", "1e3") as a number of base units; NaN when malformed. */
export function parseQuantity(q: string | number): number {
  if (typeof q === 'number') return q;
  const m = /^([+-]?\d*\.?\d+(?:[eE][+-]?\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?$/.exec(q.trim());
  if (!m) return Number.NaN;
  return Number(m[1]) * (m[2] ? SUFFIX[m[2]]! : 1);
}

export function makeNode(opts: NodeOptions): Obj {
  const allocatable = { cpu: '4', memory: '8Gi', pods: '110', 'ephemeral-storage': '100Gi', ...opts.allocatable };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: NODE_NAME,
      labels: {
        'kubernetes.io/hostname': NODE_NAME,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        ...opts.labels,
      },
    },
    spec: {},
    status: {
      capacity: allocatable,
      allocatable,
      addresses: [
        { type: 'InternalIP', address: '127.0.0.1' },
        { type: 'Hostname', address: NODE_NAME },
      ],
      conditions: [
        { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
      ],
      nodeInfo: { kubeletVersion: 'v1.33.0-sim', operatingSystem: 'linux', architecture: 'amd64' },
    },
  };
}

function podRequests(pod: Obj): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const c of pod.spec?.containers ?? [])
    for (const [k, v] of Object.entries(c.resources?.requests ?? {}))
      sum[k] = (sum[k] ?? 0) + parseQuantity(v as string);
  return sum;
}

function termMatches(term: Obj, labels: Record<string, string>): boolean {
  return (term.matchExpressions ?? []).every((e: Obj) => {
    const v = labels[e.key];
    const values: string[] = e.values ?? [];
    switch (e.operator) {
      case 'In':
        return v !== undefined && values.includes(v);
      case 'NotIn':
        return v === undefined || !values.includes(v);
      case 'Exists':
        return v !== undefined;
      case 'DoesNotExist':
        return v === undefined;
      case 'Gt':
        return Number(v) > Number(values[0]);
      case 'Lt':
        return Number(v) < Number(values[0]);
      default:
        return false;
    }
  });
}

const PREEMPTION = ' preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.';

/**
 * Why `pod` cannot go on the node now, as the FailedScheduling message; null when it fits. Pods whose uid is
 * in `phantoms` (bulk-seeded, no process) take no room, so a benchmark's 5,000 do not fill the node.
 */
export function unschedulable(store: Store, node: Obj, pod: Obj, phantoms: Set<string>): string | null {
  for (const v of pod.spec?.volumes ?? []) {
    const claim = v.persistentVolumeClaim?.claimName;
    if (!claim) continue;
    const pvc = store.get('persistentvolumeclaims', pod.metadata.namespace, claim);
    if (!pvc) return `0/1 nodes are available: persistentvolumeclaim "${claim}" not found.${PREEMPTION}`;
    if (pvc.status?.phase !== 'Bound')
      return `0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims.${PREEMPTION}`;
  }
  const labels: Record<string, string> = node.metadata.labels;
  const selectorOk = Object.entries(pod.spec?.nodeSelector ?? {}).every(([k, v]) => labels[k] === v);
  const terms = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  const affinityOk = !terms?.length || terms.some((t: Obj) => termMatches(t, labels));
  if (!selectorOk || !affinityOk)
    return `0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector.${PREEMPTION}`;
  const used: Record<string, number> = { pods: 0 };
  for (const p of store.list('pods')) {
    const done = p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
    if (p.spec?.nodeName !== NODE_NAME || done || phantoms.has(p.metadata.uid)) continue;
    used.pods = (used.pods ?? 0) + 1;
    for (const [k, v] of Object.entries(podRequests(p))) used[k] = (used[k] ?? 0) + v;
  }
  const want = { ...podRequests(pod), pods: 1 };
  const short = Object.entries(want)
    .filter(([k, v]) => (used[k] ?? 0) + v > parseQuantity(node.status.allocatable[k] ?? '0'))
    .map(([k]) => (k === 'pods' ? '1 Too many pods' : `1 Insufficient ${k}`))
    .sort();
  return short.length ? `0/1 nodes are available: ${short.join(', ')}.${PREEMPTION}` : null;
}
