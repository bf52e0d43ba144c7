import { existsSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import {
  ApiException,
  type ConfigurationOptions,
  CoreV1Api,
  KubeConfig,
  type RequestContext,
  type ResponseContext,
  Watch,
} from '@kubernetes/client-node';
import type { KubernetesConfig } from '../../config/schema-kubernetes.ts';

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** The cluster's credentials: the kubeconfig file named, else the pod's service account, else KUBECONFIG / ~/.kube/config. */
export function loadKubeConfig(path: string | null): KubeConfig {
  const kc = new KubeConfig();
  if (path !== null) kc.loadFromFile(path);
  else if (process.env.KUBERNETES_SERVICE_HOST && existsSync(`${SERVICE_ACCOUNT_DIR}/token`)) kc.loadFromCluster();
  else kc.loadFromDefault();
  if (kc.getCurrentCluster() === null)
    throw new Error('No Kubernetes cluster is configured (kubeconfig has no current context)');
  return kc;
}

/** The namespace configured, else the one the hub runs in (its service account's), else `default`, as KubeSpawner. */
export function hubNamespace(configured: string | null): string {
  if (configured !== null) return configured;
  try {
    const ns = readFileSync(`${SERVICE_ACCOUNT_DIR}/namespace`, 'utf8').trim();
    if (ns !== '') return ns;
  } catch {
    // Not in a cluster: the default namespace, as kubectl would use.
  }
  return 'default';
}

/** The HTTP status of a failed API call (0 when there was no answer: timeout, refused connection). */
export function apiStatus(err: unknown): number {
  return err instanceof ApiException ? err.code : 0;
}

/** What the API server said about a failed call (its Status message), or the transport error. */
export function apiMessage(err: unknown): string {
  if (err instanceof ApiException) {
    let body: unknown = err.body;
    if (typeof body === 'string')
      try {
        body = JSON.parse(body);
      } catch {
        return (body as string) || `HTTP ${err.code}`;
      }
    const message = (body as { message?: unknown } | null)?.message;
    return typeof message === 'string' && message !== '' ? message : `HTTP ${err.code}`;
  }
  if (err instanceof Error)
    return err.name === 'TimeoutError' ? 'the Kubernetes API did not answer in time' : err.message;
  return String(err);
}

/**
 * The cluster's API as the spawner uses it: the core/v1 client with every request bounded by
 * k8s_api_request_timeout, and the raw watch (plain JSON, no model classes) for the shared reflectors.
 */
export class KubeApi {
  readonly kc: KubeConfig;
  readonly core: CoreV1Api;
  readonly #watch: Watch;
  /** Options for each call: an abort signal per request, so a hung API server fails the call in time. */
  readonly options: ConfigurationOptions;

  constructor(kc: KubeConfig, timeoutSeconds: number) {
    this.kc = kc;
    this.core = kc.makeApiClient(CoreV1Api);
    this.#watch = new Watch(kc);
    const ms = timeoutSeconds * 1000;
    // The generated client chains middleware as its own observables: anything with toPromise() will do.
    const resolved = <T>(v: T) => ({ toPromise: () => Promise.resolve(v) });
    const timeout = {
      pre: (ctx: RequestContext) => {
        ctx.setSignal(AbortSignal.timeout(ms));
        return resolved(ctx);
      },
      post: (res: ResponseContext) => resolved(res),
    };
    this.options = { middleware: [timeout as never], middlewareMergeStrategy: 'append' };
  }

  /**
   * GET of a path as plain JSON (no model classes): the shared watches list thousands of objects at once,
   * and the client's typed models would cost the hub their memory and CPU for fields it never reads.
   */
  async getJson(path: string, query: Record<string, string | undefined>, timeoutMs: number): Promise<unknown> {
    const url = new URL(`${this.kc.getCurrentCluster()!.server}${path}`);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v);
    const opts: RequestOptions = { headers: { accept: 'application/json' } };
    await this.kc.applyToHTTPSOptions(opts);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, { ...opts, method: 'GET', signal: AbortSignal.timeout(timeoutMs) }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode === 200) {
            try {
              resolve(JSON.parse(text));
            } catch (err) {
              reject(err);
            }
          } else reject(new ApiException(res.statusCode ?? 0, 'GET failed', text, {}));
        });
      });
      req.on('error', reject);
      req.end();
    });
  }

  static fromConfig(k: KubernetesConfig): KubeApi {
    return new KubeApi(loadKubeConfig(k.kubeconfig), k.k8s_api_request_timeout);
  }

  /** Starts a watch on `path`; `done` is called once when it ends, with the error if it failed. */
  watch(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    onEvent: (type: string, object: Record<string, unknown>) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    return this.#watch.watch(path, query, onEvent, done);
  }
}
