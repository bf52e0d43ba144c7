import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { type Credentials, type ExecSpec, execCredential } from './exec-credential.ts';

// The hub reads kubeconfig itself instead of through @kubernetes/client-node: loading that client costs a
// hub about 85 MB of RSS (its generated models load with its config module), more than all of a hub's
// watches over 5,000 pods. What it supports is what hubs use: a bearer token or token file, client
// certificates, exec credential plugins (EKS, GKE, AKS, OIDC login helpers) and the in-cluster service
// account. The legacy `auth-provider` plugins (removed from kubectl) are refused with a message saying so.

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Where requests go and how they authenticate; `credentials()` is called per request (tokens rotate). */
export interface KubeTarget {
  /** The API server's base URL, without a trailing slash (it may carry a path, as behind Rancher). */
  server: string;
  ca?: Buffer;
  rejectUnauthorized: boolean;
  servername?: string;
  /** The context's namespace, if it names one. */
  namespace?: string;
  credentials: () => Promise<Credentials>;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The kubeconfig named, else the pod's service account inside a cluster, else KUBECONFIG or ~/.kube/config. */
export function loadKubeConfig(path: string | null, root = ''): KubeTarget {
  if (path !== null) return fromFile(path);
  const saDir = join(root || '/', SERVICE_ACCOUNT_DIR);
  if (process.env.KUBERNETES_SERVICE_HOST && existsSync(join(saDir, 'token'))) return inCluster(saDir);
  const files = (process.env.KUBECONFIG ?? '').split(':').filter((f) => f !== '');
  const found = files.find((f) => existsSync(f)) ?? join(homedir(), '.kube', 'config');
  return fromFile(found);
}

function inCluster(saDir: string): KubeTarget {
  const host = process.env.KUBERNETES_SERVICE_HOST!;
  const port = process.env.KUBERNETES_SERVICE_PORT ?? '443';
  const tokenFile = join(saDir, 'token');
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    ca: readFileSync(join(saDir, 'ca.crt')),
    rejectUnauthorized: true,
    credentials: fileToken(tokenFile),
  };
}

/** A token read from a file, re-read every minute: bound service account tokens are rotated by the kubelet. */
function fileToken(file: string): () => Promise<Credentials> {
  let token = '';
  let readAt = 0;
  return async () => {
    if (Date.now() - readAt > 60_000) {
      token = readFileSync(file, 'utf8').trim();
      readAt = Date.now();
    }
    return { token };
  };
}

function named(list: unknown, name: unknown, what: string, file: string): Obj {
  const entry = Array.isArray(list) ? list.find((e) => isObj(e) && e.name === name) : undefined;
  const body = isObj(entry) ? entry[what] : undefined;
  if (!isObj(body)) throw new Error(`kubeconfig ${file}: no ${what} named ${JSON.stringify(name)}`);
  return body;
}

function fromFile(file: string): KubeTarget {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`Cannot read kubeconfig ${file}: ${(err as Error).message}`);
  }
  if (!isObj(doc)) throw new Error(`kubeconfig ${file} is not a mapping`);
  const current = doc['current-context'];
  if (typeof current !== 'string' || current === '')
    throw new Error(`No Kubernetes cluster is configured (kubeconfig ${file} has no current context)`);
  const context = named(doc.contexts, current, 'context', file);
  const cluster = named(doc.clusters, context.cluster, 'cluster', file);
  const user = context.user === undefined ? {} : named(doc.users, context.user, 'user', file);
  const relative = (p: string) => (isAbsolute(p) ? p : resolve(dirname(file), p));
  const data = (o: Obj, key: string): Buffer | undefined => {
    const inline = o[`${key}-data`];
    if (typeof inline === 'string') return Buffer.from(inline, 'base64');
    const path = o[key];
    return typeof path === 'string' ? readFileSync(relative(path)) : undefined;
  };
  if (typeof cluster.server !== 'string') throw new Error(`kubeconfig ${file}: cluster has no server`);
  if (user['auth-provider'] !== undefined)
    throw new Error(
      `kubeconfig ${file}: the user's auth-provider plugin is not supported (kubectl removed them); use an exec plugin or a token`,
    );
  return {
    server: cluster.server.replace(/\/+$/, ''),
    ca: data(cluster, 'certificate-authority'),
    rejectUnauthorized: cluster['insecure-skip-tls-verify'] !== true,
    servername: typeof cluster['tls-server-name'] === 'string' ? cluster['tls-server-name'] : undefined,
    namespace: typeof context.namespace === 'string' ? context.namespace : undefined,
    credentials: userCredentials(user, relative, data),
  };
}

function userCredentials(
  user: Obj,
  relative: (p: string) => string,
  data: (o: Obj, key: string) => Buffer | undefined,
): () => Promise<Credentials> {
  if (isObj(user.exec)) return execCredential(user.exec as unknown as ExecSpec);
  const cert = data(user, 'client-certificate');
  const key = data(user, 'client-key');
  if (typeof user.token === 'string') {
    const token = user.token;
    return async () => ({ token, cert, key });
  }
  if (typeof user.tokenFile === 'string') {
    const read = fileToken(relative(user.tokenFile));
    return async () => ({ ...(await read()), cert, key });
  }
  return async () => ({ cert, key });
}
