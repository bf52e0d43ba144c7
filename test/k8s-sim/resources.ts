// The core/v1 resources the simulator serves, with the server's validation (422 Invalid, worded as the real
// server words it) and defaulting (what a created object gains: restartPolicy, imagePullPolicy, phases, ...).
import { randomBytes } from 'node:crypto';
import { nameProblem, quote } from './names.ts';
import { checkShapes, podCauses } from './pod-validation.ts';
import { badRequest, cause, invalid, type StatusCause } from './status.ts';
import type { Obj } from './store.ts';

export interface Resource {
  name: string;
  kind: string;
  namespaced: boolean;
  shortNames: string[];
  /** Nodes are the simulator's own: readable, not writable. */
  readOnly?: boolean;
}

export const RESOURCES: Record<string, Resource> = Object.fromEntries(
  (
    [
      ['pods', 'Pod', true, ['po']],
      ['events', 'Event', true, ['ev']],
      ['persistentvolumeclaims', 'PersistentVolumeClaim', true, ['pvc']],
      ['namespaces', 'Namespace', false, ['ns']],
      ['secrets', 'Secret', true, []],
      ['configmaps', 'ConfigMap', true, ['cm']],
      ['services', 'Service', true, ['svc']],
      ['serviceaccounts', 'ServiceAccount', true, ['sa']],
      ['nodes', 'Node', false, ['no']],
    ] as const
  ).map(([name, kind, namespaced, shortNames]) => [
    name,
    { name, kind, namespaced, shortNames: [...shortNames], readOnly: name === 'nodes' },
  ]),
);

const LABEL_KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

function metaCauses(resource: string, m: Obj['metadata']): StatusCause[] {
  const out: StatusCause[] = [];
  if (!m.name && !m.generateName)
    out.push(cause('metadata.name', 'Required value: name or generateName is required', 'FieldValueRequired'));
  else if (m.name) {
    const p = nameProblem(resource, m.name);
    if (p) out.push(cause('metadata.name', p));
  }
  for (const [k, v] of Object.entries(m.labels ?? {})) {
    if (!LABEL_KEY.test(k)) out.push(cause('metadata.labels', `Invalid value: ${quote(k)}: name part must be valid`));
    if (typeof v !== 'string' || !LABEL_VALUE.test(v) || v.length > 63)
      out.push(
        cause(
          'metadata.labels',
          `Invalid value: ${quote(v)}: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
        ),
      );
  }
  for (const [k, v] of Object.entries(m.annotations ?? {}))
    if (typeof v !== 'string') out.push(cause(`metadata.annotations.${k}`, 'Invalid value: must be a string'));
  return out;
}

function pvcCauses(pvc: Obj): StatusCause[] {
  const out: StatusCause[] = [];
  if (!pvc.spec?.accessModes?.length)
    out.push(cause('spec.accessModes', 'Required value: at least 1 access mode is required', 'FieldValueRequired'));
  if (!pvc.spec?.resources?.requests?.storage)
    out.push(cause('spec.resources[storage]', 'Required value', 'FieldValueRequired'));
  return out;
}

function secretCauses(secret: Obj): StatusCause[] {
  const out: StatusCause[] = [];
  for (const [k, v] of Object.entries(secret.data ?? {}))
    if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v))
      out.push(cause(`data[${k}]`, 'Invalid value: illegal base64 data'));
  return out;
}

const KIND_CHECKS: Record<string, (o: Obj) => StatusCause[]> = {
  pods: podCauses,
  persistentvolumeclaims: pvcCauses,
  secrets: secretCauses,
};

/** Throws the server's 422 when `obj` is not a valid `resource`. */
export function validate(resource: string, obj: Obj): void {
  const causes = [...metaCauses(resource, obj.metadata), ...(KIND_CHECKS[resource]?.(obj) ?? [])];
  if (causes.length > 0) throw invalid(RESOURCES[resource]!.kind, obj.metadata.name ?? '', causes);
}

/** Checks the body is an object of the path's kind, and in the path's namespace. */
export function checkBody(resource: Resource, body: unknown, ns: string | undefined): Obj {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw badRequest(`the object provided is unrecognized (must be of type ${resource.kind})`);
  const obj = body as Obj;
  if (obj.kind !== undefined && obj.kind !== resource.kind)
    throw badRequest(`the object provided is unrecognized (must be of type ${resource.kind}): ${obj.kind}`);
  if (obj.metadata === undefined) obj.metadata = {};
  const m = obj.metadata;
  const undecodable = (field: string) =>
    badRequest(
      `${resource.kind} in version "v1" cannot be handled as a ${resource.kind}: json: cannot unmarshal into Go struct field ${field}`,
    );
  if (typeof m !== 'object' || m === null || Array.isArray(m)) throw undecodable('ObjectMeta.metadata');
  for (const key of ['labels', 'annotations'])
    if (m[key] !== undefined && (typeof m[key] !== 'object' || m[key] === null || Array.isArray(m[key])))
      throw undecodable(`ObjectMeta.metadata.${key} of type map[string]string`);
  for (const key of ['name', 'generateName', 'resourceVersion'])
    if (m[key] !== undefined && typeof m[key] !== 'string')
      throw undecodable(`ObjectMeta.metadata.${key} of type string`);
  if (resource.name === 'pods') checkShapes(obj.spec ?? {});
  if (resource.namespaced) {
    if (obj.metadata.namespace !== undefined && obj.metadata.namespace !== ns)
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    obj.metadata.namespace = ns;
  } else delete obj.metadata.namespace;
  return obj;
}

/** Fills what the server fills on create. */
export function applyDefaults(resource: Resource, obj: Obj, nextClusterIP: () => string): Obj {
  const m = obj.metadata;
  if (!m.name && m.generateName) m.name = `${m.generateName}${randomBytes(4).toString('hex').slice(0, 5)}`;
  const o: Obj = { ...obj, apiVersion: 'v1', kind: resource.kind };
  if (resource.name === 'pods') defaultPod(o);
  else if (resource.name === 'persistentvolumeclaims') {
    o.spec = { volumeMode: 'Filesystem', ...o.spec };
    o.status = { phase: 'Pending' };
  } else if (resource.name === 'namespaces') {
    m.labels = { ...m.labels, 'kubernetes.io/metadata.name': m.name };
    o.spec = { finalizers: ['kubernetes'] };
    o.status = { phase: 'Active' };
  } else if (resource.name === 'secrets') {
    o.type ??= 'Opaque';
    if (o.stringData) {
      o.data = { ...o.data };
      for (const [k, v] of Object.entries(o.stringData)) o.data[k] = Buffer.from(String(v)).toString('base64');
      delete o.stringData;
    }
  } else if (resource.name === 'services') {
    const spec = { type: 'ClusterIP', sessionAffinity: 'None', ...o.spec };
    spec.clusterIP ??= nextClusterIP();
    spec.clusterIPs ??= [spec.clusterIP];
    spec.ports = (spec.ports ?? []).map((p: Obj) => ({ protocol: 'TCP', targetPort: p.port, ...p }));
    o.spec = spec;
    o.status = { loadBalancer: {} };
  } else if (resource.name === 'events') {
    o.count ??= 1;
    o.type ??= 'Normal';
  }
  return o;
}

function defaultPod(pod: Obj): void {
  const spec = {
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 30,
    dnsPolicy: 'ClusterFirst',
    schedulerName: 'default-scheduler',
    serviceAccountName: 'default',
    securityContext: {},
    enableServiceLinks: true,
    ...pod.spec,
  };
  spec.serviceAccount = spec.serviceAccountName;
  const container = (c: Obj): Obj => {
    const tag = /:([^/:]+)$/.exec(c.image ?? '')?.[1];
    const resources = { ...c.resources };
    // The server copies limits into requests that were left out.
    if (resources.limits) resources.requests = { ...resources.limits, ...resources.requests };
    return {
      imagePullPolicy: !tag || tag === 'latest' ? 'Always' : 'IfNotPresent',
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      ...c,
      resources,
    };
  };
  spec.containers = (spec.containers ?? []).map(container);
  if (spec.initContainers) spec.initContainers = spec.initContainers.map(container);
  pod.spec = spec;
  const guaranteed = spec.containers.every(
    (c: Obj) =>
      c.resources.limits?.cpu &&
      c.resources.limits?.memory &&
      c.resources.requests?.cpu === c.resources.limits.cpu &&
      c.resources.requests?.memory === c.resources.limits.memory,
  );
  const any = spec.containers.some((c: Obj) => c.resources.requests || c.resources.limits);
  pod.status = { phase: 'Pending', qosClass: guaranteed ? 'Guaranteed' : any ? 'Burstable' : 'BestEffort' };
}
