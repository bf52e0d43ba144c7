import type { V1Container, V1PersistentVolumeClaim, V1Pod, V1PodSpec } from '@kubernetes/client-node';
import type { SpawnerConfig } from '../../config/index.ts';
import type { KubernetesConfig } from '../../config/schema-kubernetes.ts';
import { parseBytes } from '../docker/kwargs.ts';
import { expandAll, labelSlug } from './names.ts';

/** The label every server pod carries; the shared watch selects on it and on MANAGED_BY. */
export const COMPONENT = 'singleuser-server';
export const MANAGED_BY = 'tshub';
export const USERNAME_LABEL = 'hub.jupyter.org/username';
export const SERVERNAME_LABEL = 'hub.jupyter.org/servername';
/** The label selector of the shared pod watch: every server pod of a tshub, none of anything else. */
export const POD_SELECTOR = `app.kubernetes.io/component=${COMPONENT},app.kubernetes.io/managed-by=${MANAGED_BY}`;
/** The server's container, as KubeSpawner names it. */
export const CONTAINER = 'notebook';

type Obj = Record<string, unknown>;

export interface PodInput {
  config: SpawnerConfig;
  podName: string;
  namespace: string;
  username: string;
  servername: string;
  image: string;
  /** The template fields (names.ts) for strings in volumes, labels and the rest. */
  fields: Record<string, string>;
  /** The server's environment, complete. */
  env: Record<string, string>;
  port: number;
}

/** Labels of every object made for a user (KubeSpawner's common labels, with tshub as the manager). */
export function commonLabels(
  k: KubernetesConfig,
  username: string,
  fields: Record<string, string>,
): Record<string, string> {
  return {
    ...expandAll(k.extra_labels, fields),
    [USERNAME_LABEL]: labelSlug(username),
    'app.kubernetes.io/name': 'jupyterhub',
    'app.kubernetes.io/managed-by': MANAGED_BY,
  };
}

/** snake_case keys (as KubeSpawner's configs often write them) in the API's camelCase. */
function camelKeys(o: Obj): Obj {
  return Object.fromEntries(
    Object.entries(o).map(([k, v]) => [k.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase()), v]),
  );
}

const bytes = (v: string | number, key: string): string => String(parseBytes(v, `spawner.${key}`));

/** mem/cpu limits and guarantees (the shared spawner keys) and the extra resources, as container resources. */
export function resources(c: SpawnerConfig): NonNullable<V1Container['resources']> {
  const limits: Record<string, string> = {};
  const requests: Record<string, string> = {};
  if (c.mem_limit !== null) limits.memory = bytes(c.mem_limit, 'mem_limit');
  if (c.cpu_limit !== null) limits.cpu = String(c.cpu_limit);
  if (c.mem_guarantee !== null) requests.memory = bytes(c.mem_guarantee, 'mem_guarantee');
  if (c.cpu_guarantee !== null) requests.cpu = String(c.cpu_guarantee);
  Object.assign(limits, c.kubernetes.extra_resource_limits);
  Object.assign(requests, c.kubernetes.extra_resource_guarantees);
  const out: NonNullable<V1Container['resources']> = {};
  if (Object.keys(limits).length > 0) out.limits = limits;
  if (Object.keys(requests).length > 0) out.requests = requests;
  return out;
}

function affinity(k: KubernetesConfig): V1PodSpec['affinity'] | undefined {
  const terms = (required: Obj[], preferred: Obj[]) => {
    const out: Obj = {};
    if (required.length > 0) out.requiredDuringSchedulingIgnoredDuringExecution = required;
    if (preferred.length > 0) out.preferredDuringSchedulingIgnoredDuringExecution = preferred;
    return Object.keys(out).length > 0 ? out : null;
  };
  const node = terms(
    k.node_affinity_required.length > 0 ? [{ nodeSelectorTerms: k.node_affinity_required }] : [],
    k.node_affinity_preferred,
  );
  // Node affinity's required part is one selector whose terms are ORed; the pod ones are lists of terms.
  if (node?.requiredDuringSchedulingIgnoredDuringExecution)
    node.requiredDuringSchedulingIgnoredDuringExecution = (
      node.requiredDuringSchedulingIgnoredDuringExecution as Obj[]
    )[0];
  const pod = terms(k.pod_affinity_required, k.pod_affinity_preferred);
  const anti = terms(k.pod_anti_affinity_required, k.pod_anti_affinity_preferred);
  const out: Obj = {};
  if (node) out.nodeAffinity = node;
  if (pod) out.podAffinity = pod;
  if (anti) out.podAntiAffinity = anti;
  return Object.keys(out).length > 0 ? (out as V1PodSpec['affinity']) : undefined;
}

function container(i: PodInput): V1Container {
  const { config: c, fields } = i;
  const k = c.kubernetes;
  const security: Obj = { allowPrivilegeEscalation: false };
  if (k.uid !== null) security.runAsUser = k.uid;
  if (k.gid !== null) security.runAsGroup = k.gid;
  const out: V1Container = {
    name: CONTAINER,
    image: i.image,
    imagePullPolicy: k.image_pull_policy,
    // As KubeSpawner: the command goes in args, so the image's entrypoint (tini, say) still runs it.
    args: [...(k.cmd ?? c.cmd), ...c.args],
    env: Object.entries(i.env).map(([name, value]) => ({ name, value })),
    ports: [{ name: 'notebook-port', containerPort: i.port }],
    resources: resources(c),
    securityContext: security,
  };
  if (k.volume_mounts.length > 0)
    out.volumeMounts = expandAll(k.volume_mounts, fields) as unknown as V1Container['volumeMounts'];
  if (Object.keys(k.lifecycle_hooks).length > 0)
    out.lifecycle = camelKeys(k.lifecycle_hooks) as V1Container['lifecycle'];
  return { ...out, ...(camelKeys(expandAll(k.extra_container_config, fields)) as Partial<V1Container>) };
}

/** The pod of one server, from KubeSpawner's keys; extra_pod_config and extra_container_config win. */
export function buildPod(i: PodInput): V1Pod {
  const { config: c, fields } = i;
  const k = c.kubernetes;
  const labels = {
    ...commonLabels(k, i.username, fields),
    'app.kubernetes.io/component': COMPONENT,
    component: COMPONENT,
    [SERVERNAME_LABEL]: labelSlug(i.servername),
  };
  const annotations: Record<string, string> = {
    ...expandAll(k.extra_annotations, fields),
    [USERNAME_LABEL]: i.username,
  };
  if (i.servername) annotations[SERVERNAME_LABEL] = i.servername;
  const spec: V1PodSpec = {
    containers: [container(i), ...(expandAll(k.extra_containers, fields) as unknown as V1Container[])],
    restartPolicy: 'OnFailure',
    automountServiceAccountToken: k.automount_service_account_token ?? k.service_account !== null,
  };
  if (k.fs_gid !== null) spec.securityContext = { fsGroup: k.fs_gid };
  if (k.service_account !== null) spec.serviceAccountName = k.service_account;
  if (k.image_pull_secrets.length > 0) spec.imagePullSecrets = k.image_pull_secrets.map((name) => ({ name }));
  if (Object.keys(k.node_selector).length > 0) spec.nodeSelector = { ...k.node_selector };
  if (k.tolerations.length > 0) spec.tolerations = structuredClone(k.tolerations) as V1PodSpec['tolerations'];
  const aff = affinity(k);
  if (aff) spec.affinity = aff;
  if (k.volumes.length > 0) spec.volumes = expandAll(k.volumes, fields) as unknown as V1PodSpec['volumes'];
  if (k.init_containers.length > 0)
    spec.initContainers = expandAll(k.init_containers, fields) as unknown as V1Container[];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: i.podName, namespace: i.namespace, labels, annotations },
    spec: { ...spec, ...(camelKeys(expandAll(k.extra_pod_config, fields)) as Partial<V1PodSpec>) },
  };
}

/** The claim of one server's storage (storage_pvc_ensure). */
export function buildPvc(
  c: SpawnerConfig,
  p: { name: string; namespace: string; username: string; fields: Record<string, string> },
): V1PersistentVolumeClaim {
  const k = c.kubernetes;
  if (k.storage_capacity === null) throw new Error('storage_pvc_ensure needs storage_capacity (e.g. 10Gi)');
  const labels = { ...commonLabels(k, p.username, p.fields), ...expandAll(k.storage_extra_labels, p.fields) };
  labels['app.kubernetes.io/component'] = 'singleuser-storage';
  const pvc: V1PersistentVolumeClaim = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: p.name, namespace: p.namespace, labels, annotations: { [USERNAME_LABEL]: p.username } },
    spec: { accessModes: [...k.storage_access_modes], resources: { requests: { storage: k.storage_capacity } } },
  };
  if (k.storage_class !== null) pvc.spec!.storageClassName = k.storage_class;
  return pvc;
}
