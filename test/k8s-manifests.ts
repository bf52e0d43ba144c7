// Helpers for test/deploy-manifests.test.ts: render deploy/kubernetes with `kubectl kustomize` (offline),
// check every object against the Kubernetes API schemas (kubernetes-models) with unknown fields refused,
// and work out a container's environment the way the kubelet would.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export const DEPLOY_DIR = join(import.meta.dirname, '..', 'deploy', 'kubernetes');

// Rendered Kubernetes objects: untyped JSON.
export type K8sObject = Record<string, any>;

const KUBECTL_MISSING =
  'kubectl is not on PATH: install Debian\'s "kubernetes-client" package (CI does, in .ci/run); `kubectl kustomize` renders the manifests offline';

/** `kubectl kustomize DIR`: the rendered objects, or the reason it failed. */
export function kustomize(dir: string): { objects: K8sObject[] } | { error: string } {
  const run = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 60_000 });
  if ((run.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') throw new Error(KUBECTL_MISSING);
  if (run.error) throw run.error;
  if (run.status !== 0) return { error: run.stderr };
  const objects: K8sObject[] = [];
  for (const doc of parseAllDocuments(run.stdout)) {
    if (doc.errors.length > 0) throw new Error(`kubectl kustomize ${dir} printed bad YAML: ${doc.errors[0]}`);
    const obj = doc.toJS() as K8sObject;
    // kubectl folds long base64 values over lines; the API server's decoder skips the breaks, and so do we.
    if (obj.kind === 'Secret')
      for (const k of Object.keys(obj.data ?? {})) obj.data[k] = String(obj.data[k]).replace(/\s/g, '');
    objects.push(obj);
  }
  return { objects };
}

export interface DeployCopy {
  dir: string;
  /** What the documented commands wrote: base/secrets.env and overlays/postgres/db.env. */
  secrets: Record<'JPY_COOKIE_SECRET' | 'CONFIGPROXY_AUTH_TOKEN' | 'JUPYTERHUB_CRYPT_KEY', string>;
  db: Record<'TSHUB_DB_URL', string>;
}

const hex32 = () => randomBytes(32).toString('hex');

/**
 * A copy of deploy/kubernetes with the secret files written as docs/kubernetes.md says (fresh random
 * values): the repository holds none, so that no placeholder can ever be deployed.
 */
export function deployCopy(withSecrets = true): DeployCopy {
  const dir = mkdtempSync(join(tmpdir(), 'tshub-deploy-'));
  cpSync(DEPLOY_DIR, dir, { recursive: true, filter: (src) => !/(secrets|db)\.env$/.test(src) });
  const secrets = {
    JPY_COOKIE_SECRET: hex32(),
    CONFIGPROXY_AUTH_TOKEN: hex32(),
    JUPYTERHUB_CRYPT_KEY: hex32(),
  };
  const db = { TSHUB_DB_URL: `postgresql://tshub:${hex32()}@postgres.example.org:5432/tshub` };
  if (withSecrets) {
    const env = (vars: Record<string, string>) =>
      Object.entries(vars)
        .map(([k, v]) => `${k}=${v}\n`)
        .join('');
    writeFileSync(join(dir, 'base', 'secrets.env'), env(secrets));
    writeFileSync(join(dir, 'overlays', 'postgres', 'db.env'), env(db));
  }
  return { dir, secrets, db };
}

interface ModelClass {
  new (data: K8sObject): { validate(): void };
  prototype: { validate(this: unknown): void };
}

/** The kubernetes-models class for an object's apiVersion and kind (e.g. apps/v1 Deployment). */
export async function modelFor(obj: K8sObject): Promise<ModelClass> {
  const mod = (await import(`kubernetes-models/${obj.apiVersion}`)) as Record<string, ModelClass | undefined>;
  const cls = mod[obj.kind];
  if (!cls) throw new Error(`kubernetes-models has no ${obj.apiVersion} ${obj.kind}`);
  return cls;
}

/**
 * The fields of `obj` that its schema does not have. kubernetes-models' validators are compiled from
 * the OpenAPI schemas without additionalProperties, so they let unknown fields through (a misspelt
 * `readOnlyRootFilesytem` would silently do nothing). Each compiled validator reads exactly the
 * properties its schema declares, and iterates the keys of free-form maps (labels, data): running it on
 * a proxy that records what it reads tells which keys the schema knows, at every depth.
 */
export function unknownFields(model: ModelClass, obj: K8sObject): string[] {
  const seen = new Set<string>();
  const watch = (value: unknown, path: string): unknown => {
    if (value === null || typeof value !== 'object') return value;
    return new Proxy(value, {
      get(target, key, receiver) {
        const v = Reflect.get(target, key, receiver);
        if (typeof key !== 'string') return v;
        seen.add(`${path}/${key}`);
        return watch(v, `${path}/${key}`);
      },
      ownKeys(target) {
        const keys = Reflect.ownKeys(target);
        for (const k of keys) if (typeof k === 'string') seen.add(`${path}/${k}`);
        return keys;
      },
    });
  };
  try {
    model.prototype.validate.call(watch(obj, ''));
  } catch {
    // invalid values are validate()'s to report; here only the keys read matter
  }
  const unknown: string[] = [];
  const walk = (value: unknown, path: string): void => {
    if (value === null || typeof value !== 'object') return;
    for (const [k, v] of Object.entries(value)) {
      const at = `${path}/${k}`;
      if (seen.has(at)) walk(v, at);
      else unknown.push(at);
    }
  };
  walk(obj, '');
  return unknown;
}

/** Schema errors and unknown fields of one object, as messages naming it. */
export async function schemaProblems(obj: K8sObject): Promise<string[]> {
  const what = `${obj.kind}/${obj.metadata?.name}`;
  let model: ModelClass;
  try {
    model = await modelFor(obj);
  } catch (err) {
    return [`${what}: ${(err as Error).message}`];
  }
  const problems: string[] = [];
  try {
    new model(obj).validate();
  } catch (err) {
    problems.push(`${what}: ${(err as Error).message}`);
  }
  for (const path of unknownFields(model, obj)) problems.push(`${what}: unknown field ${path}`);
  return problems;
}

export const byKind = (objects: K8sObject[], kind: string): K8sObject[] => objects.filter((o) => o.kind === kind);

export function named(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in the rendered manifests`);
  return found;
}

/** The Service a host name names: NAME, or NAME.NAMESPACE.svc[.cluster.local] (what pods of other namespaces must use). */
export function serviceByHost(objects: K8sObject[], host: string): K8sObject {
  const [name, namespace, ...rest] = host.split('.');
  const svc = named(objects, 'Service', name!);
  if (
    namespace !== undefined &&
    (namespace !== svc.metadata.namespace || !/^svc(\.cluster\.local)?$/.test(rest.join('.')))
  )
    throw new Error(`${host} is not the DNS name of Service ${name} in namespace ${svc.metadata.namespace}`);
  return svc;
}

/** Generated ConfigMaps and Secrets get a hash suffix: find them by the name they were given. */
export function generated(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind && new RegExp(`^${name}-[a-z0-9]{10}$`).test(o.metadata.name));
  if (found.length !== 1) throw new Error(`expected one generated ${kind} ${name}, found ${found.length}`);
  return found[0]!;
}

/** matchLabels selects labels (the manifests use no matchExpressions; one would fail here, not pass). */
export function selects(selector: K8sObject | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector) return false;
  if (selector.matchExpressions) throw new Error('matchExpressions are not checked by this test');
  const want = (selector.matchLabels ?? selector) as Record<string, string>;
  return Object.entries(want).every(([k, v]) => labels?.[k] === v);
}

/**
 * A container's environment as the kubelet gives it: envFrom first, then env in order, with $(VAR)
 * expanded from the variables before it, Secret keys decoded and the pod's IP a stand-in address.
 */
export function containerEnv(objects: K8sObject[], container: K8sObject, podIp: string): Record<string, string> {
  const secret = (name: string): Record<string, string> => {
    const s = named(objects, 'Secret', name);
    return Object.fromEntries(
      Object.entries((s.data ?? {}) as Record<string, string>).map(([k, v]) => [
        k,
        Buffer.from(v, 'base64').toString(),
      ]),
    );
  };
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    if (!from.secretRef) throw new Error(`envFrom ${JSON.stringify(from)} is not checked by this test`);
    Object.assign(env, secret(from.secretRef.name));
  }
  for (const e of container.env ?? []) {
    if (e.value !== undefined)
      env[e.name] = e.value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m: string, v: string) => env[v] ?? m);
    else if (e.valueFrom?.fieldRef?.fieldPath === 'status.podIP') env[e.name] = podIp;
    else if (e.valueFrom?.secretKeyRef) {
      const value = secret(e.valueFrom.secretKeyRef.name)[e.valueFrom.secretKeyRef.key];
      if (value === undefined) throw new Error(`${e.name}: the Secret has no key ${e.valueFrom.secretKeyRef.key}`);
      env[e.name] = value;
    } else throw new Error(`env ${e.name} is not checked by this test`);
  }
  return env;
}

/** Where a peer's pod runs, when not in the policies' (the hub's) namespace: see inNamespace. */
const NAMESPACE = Symbol('namespace');

/** A pod by its labels (in the hub's namespace unless inNamespace says otherwise), or a client outside the cluster (null). */
export type Peer = (Record<string, string> & { [NAMESPACE]?: string }) | null;

/** A pod with these labels in another namespace (a user namespace). */
export function inNamespace(labels: Record<string, string>, namespace: string): Peer {
  return { ...labels, [NAMESPACE]: namespace };
}

/**
 * Whether the NetworkPolicies let `from` open a TCP connection to `to` on `port`, both directions
 * checked (ingress at `to`, egress at `from`), as a policy-enforcing network plugin would decide it.
 * A policy applies to pods of its own namespace; a podSelector peer without a namespaceSelector means pods
 * of the policy's namespace, and the only namespaceSelector understood is {} (every namespace). Pod
 * addresses count as private, so ipBlock peers (which here all leave out the private ranges, or are the
 * whole internet) match only clients and servers outside the cluster.
 */
export function allowed(policies: K8sObject[], from: Peer, to: Peer, port: number): boolean {
  const nsOf = (pod: NonNullable<Peer>, home: string): string => pod[NAMESPACE] ?? home;
  const matches = (peers: K8sObject[] | undefined, other: Peer, home: string): boolean =>
    peers === undefined ||
    peers.some((p) => {
      const anyNs = p.namespaceSelector !== undefined;
      if (anyNs && Object.keys(p.namespaceSelector).length > 0)
        throw new Error('only namespaceSelector: {} peers are checked by this test');
      if (other === null) return !p.podSelector && !anyNs && p.ipBlock;
      if (p.podSelector) return selects(p.podSelector, other) && (anyNs || nsOf(other, home) === home);
      return anyNs;
    });
  const onPort = (ports: K8sObject[] | undefined): boolean =>
    ports === undefined ||
    ports.some((p) => (p.protocol ?? 'TCP') === 'TCP' && (p.port === undefined || p.port === port));
  const side = (pod: Peer, type: 'Ingress' | 'Egress', other: Peer): boolean => {
    if (pod === null) return true; // outside the cluster: no policy applies
    const applying = policies.filter(
      (p) =>
        nsOf(pod, p.metadata.namespace) === p.metadata.namespace &&
        selects(p.spec.podSelector, pod) &&
        p.spec.policyTypes.includes(type),
    );
    if (applying.length === 0) return true;
    const key = type === 'Ingress' ? 'ingress' : 'egress';
    const peersKey = type === 'Ingress' ? 'from' : 'to';
    return applying.some((p) =>
      (p.spec[key] ?? []).some(
        (rule: K8sObject) => onPort(rule.ports) && matches(rule[peersKey], other, p.metadata.namespace),
      ),
    );
  };
  return side(to, 'Ingress', from) && side(from, 'Egress', to);
}
