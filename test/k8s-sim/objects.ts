// Create, replace, patch and delete of one object, with what each kind does beyond storing: a pod goes to
// the kubelet, a claim binds after a step, a namespace gets its default service account and, deleted,
// takes its objects with it; a pod's delete is graceful (deletionTimestamp, then gone when its processes are).
import { applyPatch } from './patch.ts';
import { applyDefaults, checkBody, type Resource, RESOURCES, validate } from './resources.ts';
import type { SimContext } from './context.ts';
import { ApiError, badRequest, cause, conflict, forbidden, invalid, notFound } from './status.ts';
import { now, type Obj } from './store.ts';

function liveNamespace(ctx: SimContext, resource: Resource, ns: string | undefined, name: string): void {
  if (!resource.namespaced) return;
  const n = ctx.store.get('namespaces', undefined, ns!);
  if (!n) throw notFound('namespaces', ns!);
  if (n.metadata.deletionTimestamp)
    throw forbidden(
      resource.name,
      name,
      `unable to create new content in namespace ${ns} because it is being terminated`,
    );
}

export function createObject(ctx: SimContext, resource: Resource, ns: string | undefined, body: unknown): Obj {
  const obj = applyDefaults(resource, checkBody(resource, body, ns), () => ctx.nextClusterIP());
  validate(resource.name, obj);
  liveNamespace(ctx, resource, ns, obj.metadata.name);
  for (const k of ['uid', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp']) delete obj.metadata[k];
  const created = ctx.store.create(resource.name, obj);
  afterCreate(ctx, resource.name, created);
  return created;
}

function afterCreate(ctx: SimContext, resource: string, o: Obj): void {
  const m = o.metadata;
  if (resource === 'pods') ctx.kubelet.admit(o);
  else if (resource === 'namespaces')
    ctx.store.create('serviceaccounts', {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'default', namespace: m.name },
    });
  else if (resource === 'persistentvolumeclaims')
    ctx.later(ctx.stepMs, () => bindClaim(ctx, m.namespace, m.name, m.uid));
}

/** The volume controller's part, simulated: every claim gets a volume of the size it asked for. */
function bindClaim(ctx: SimContext, ns: string, name: string, uid: string): void {
  const cur = ctx.store.get('persistentvolumeclaims', ns, name);
  if (cur?.metadata.uid !== uid || cur.metadata.deletionTimestamp) return;
  const volume = `pvc-${uid}`;
  const bound = ctx.store.modify('persistentvolumeclaims', ns, name, (c) => ({
    ...c,
    metadata: {
      ...c.metadata,
      annotations: {
        ...c.metadata.annotations,
        'pv.kubernetes.io/bind-completed': 'yes',
        'pv.kubernetes.io/bound-by-controller': 'yes',
      },
      finalizers: ['kubernetes.io/pvc-protection'],
    },
    spec: { ...c.spec, volumeName: volume, storageClassName: c.spec.storageClassName ?? 'standard' },
    status: {
      phase: 'Bound',
      accessModes: c.spec.accessModes,
      capacity: { storage: c.spec.resources.requests.storage },
    },
  }));
  if (bound)
    ctx.events.record(
      bound,
      'Normal',
      'ProvisioningSucceeded',
      `Successfully provisioned volume ${volume}`,
      'persistentvolume-controller',
    );
  ctx.kubelet.retryScheduling();
}

const POD_MUTABLE = (spec: Obj) => ({
  ...spec,
  containers: spec.containers?.map((c: Obj) => ({ ...c, image: undefined })),
  activeDeadlineSeconds: undefined,
  tolerations: undefined,
});

/** Stores `next` over `cur`: metadata the server owns and the status (a subresource) stay as they were. */
function store(ctx: SimContext, resource: Resource, cur: Obj, next: Obj, expectRv: string | undefined): Obj {
  const m = cur.metadata;
  if (next.metadata?.name !== undefined && next.metadata.name !== m.name)
    throw badRequest(`the name of the object (${next.metadata.name}) does not match the name on the URL (${m.name})`);
  const merged: Obj = {
    ...next,
    apiVersion: 'v1',
    kind: resource.kind,
    metadata: {
      ...next.metadata,
      name: m.name,
      namespace: m.namespace,
      uid: m.uid,
      creationTimestamp: m.creationTimestamp,
      deletionTimestamp: m.deletionTimestamp,
      deletionGracePeriodSeconds: m.deletionGracePeriodSeconds,
    },
  };
  for (const k of ['deletionTimestamp', 'deletionGracePeriodSeconds'])
    if (merged.metadata[k] === undefined) delete merged.metadata[k];
  if (cur.status !== undefined) merged.status = cur.status;
  if (resource.name === 'pods' && JSON.stringify(POD_MUTABLE(merged.spec)) !== JSON.stringify(POD_MUTABLE(cur.spec)))
    throw invalid('Pod', m.name, [
      cause(
        'spec',
        'Forbidden: pod updates may not change fields other than `spec.containers[*].image`, `spec.initContainers[*].image`, `spec.activeDeadlineSeconds`, `spec.tolerations` (only additions to existing tolerations), `spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
        'FieldValueForbidden',
      ),
    ]);
  if (resource.name === 'namespaces') merged.spec = cur.spec;
  validate(resource.name, merged);
  return ctx.store.update(resource.name, merged, expectRv);
}

export function replaceObject(
  ctx: SimContext,
  resource: Resource,
  ns: string | undefined,
  name: string,
  body: unknown,
): Obj {
  const next = checkBody(resource, body, ns);
  const cur = ctx.store.mustGet(resource.name, ns, name);
  const rv = next.metadata.resourceVersion;
  if (resource.name === 'pods' && !rv)
    throw invalid('Pod', name, [
      cause('metadata.resourceVersion', 'Invalid value: 0x0: must be specified for an update'),
    ]);
  return store(ctx, resource, cur, next, rv);
}

export function patchObject(
  ctx: SimContext,
  resource: Resource,
  ns: string | undefined,
  name: string,
  type: string,
  body: unknown,
): Obj {
  const cur = ctx.store.mustGet(resource.name, ns, name);
  const patched = applyPatch(structuredClone(cur), type, body);
  if (typeof patched !== 'object' || patched === null) throw badRequest('the patch did not produce an object');
  patched.metadata ??= {};
  // A resourceVersion the patch itself names is a precondition; otherwise the patch applies to the latest.
  const named = (body as Obj)?.metadata?.resourceVersion;
  const rv = type.startsWith('application/json-patch') ? undefined : named;
  return store(ctx, resource, cur, patched, rv ?? cur.metadata.resourceVersion);
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: string;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export function deleteObject(
  ctx: SimContext,
  resource: Resource,
  ns: string | undefined,
  name: string,
  opts: DeleteOptions,
): Obj {
  const cur = ctx.store.mustGet(resource.name, ns, name);
  const pre = opts.preconditions;
  if (pre?.uid && pre.uid !== cur.metadata.uid)
    throw new ApiError(
      409,
      'Conflict',
      `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${cur.metadata.uid}`,
      { name, kind: resource.name },
    );
  if (pre?.resourceVersion && pre.resourceVersion !== cur.metadata.resourceVersion) throw conflict(resource.name, name);
  if (opts.propagationPolicy && !['Orphan', 'Background', 'Foreground'].includes(opts.propagationPolicy))
    throw badRequest(`propagationPolicy: Unsupported value: "${opts.propagationPolicy}"`);
  if (resource.name === 'pods') return deletePod(ctx, cur, opts.gracePeriodSeconds);
  if (resource.name === 'namespaces') return deleteNamespace(ctx, cur);
  return ctx.store.remove(resource.name, ns, name);
}

function deletePod(ctx: SimContext, pod: Obj, graceAsked: number | undefined): Obj {
  const m = pod.metadata;
  const grace = graceAsked ?? m.deletionGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30;
  if (!Number.isInteger(grace) || grace < 0) throw badRequest(`gracePeriodSeconds: Invalid value: ${grace}`);
  // Never scheduled, or forced: the API server removes it at once (the kubelet stops what runs after).
  if (!pod.spec.nodeName || grace === 0) {
    const gone = ctx.store.remove('pods', m.namespace, m.name);
    ctx.kubelet.kill(pod, 0, true);
    return gone;
  }
  if (m.deletionTimestamp && m.deletionGracePeriodSeconds <= grace) return pod;
  const marked = ctx.store.update('pods', {
    ...pod,
    metadata: {
      ...m,
      deletionTimestamp: new Date(Date.now() + grace * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      deletionGracePeriodSeconds: grace,
    },
  });
  ctx.kubelet.kill(marked, grace);
  return marked;
}

/** Marks the namespace Terminating, deletes what it holds, and removes it once its pods are gone. */
function deleteNamespace(ctx: SimContext, ns: Obj): Obj {
  const name = ns.metadata.name;
  if (ns.metadata.deletionTimestamp) return ns;
  const marked = ctx.store.update('namespaces', {
    ...ns,
    metadata: { ...ns.metadata, deletionTimestamp: now(), deletionGracePeriodSeconds: 0 },
    status: { phase: 'Terminating' },
  });
  for (const r of Object.values(RESOURCES))
    if (r.namespaced)
      for (const o of ctx.store.list(r.name, name))
        if (r.name === 'pods') deletePod(ctx, o, undefined);
        else ctx.store.remove(r.name, name, o.metadata.name);
  const finish = () => {
    if (ctx.store.list('pods', name).length > 0) return ctx.later(ctx.stepMs, finish);
    for (const o of ctx.store.list('events', name)) ctx.store.remove('events', name, o.metadata.name);
    if (ctx.store.get('namespaces', undefined, name)?.metadata.uid === ns.metadata.uid)
      ctx.store.remove('namespaces', undefined, name);
  };
  ctx.later(ctx.stepMs, finish);
  return marked;
}
