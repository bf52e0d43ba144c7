import { readFileSync } from 'node:fs';
import { Agent, request as httpsRequest } from 'node:https';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { KubernetesConfig } from '../../config/schema-kubernetes.ts';
import { endOnAbort } from '../../lib/http-abort.ts';
import { type KubeTarget, loadKubeConfig, SERVICE_ACCOUNT_DIR } from './kubeconfig.ts';

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

/** A call the API server answered with an error status; `body` is its answer (a Status object, as text). */
export class KubeApiError extends Error {
  readonly code: number;
  readonly body: string;
  constructor(code: number, body: string) {
    super(`HTTP ${code}`);
    this.code = code;
    this.body = body;
  }
}

/** The HTTP status of a failed API call (0 when there was no answer: timeout, refused connection). */
export function apiStatus(err: unknown): number {
  return err instanceof KubeApiError ? err.code : 0;
}

/** What the API server said about a failed call (its Status message), or the transport error. */
export function apiMessage(err: unknown): string {
  if (err instanceof KubeApiError) {
    try {
      const message = (JSON.parse(err.body) as { message?: unknown } | null)?.message;
      if (typeof message === 'string' && message !== '') return message;
    } catch {
      if (err.body !== '') return err.body;
    }
    return `HTTP ${err.code}`;
  }
  if (err instanceof Error)
    return err.name === 'TimeoutError' ? 'the Kubernetes API did not answer in time' : err.message;
  return String(err);
}

/** The core/v1 path of a namespaced resource (or one object of it): /api/v1/namespaces/NS/pods[/NAME]. */
export function corePath(namespace: string, resource: string, name?: string): string {
  const base = `/api/v1/namespaces/${encodeURIComponent(namespace)}/${resource}`;
  return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
}

type Query = Record<string, string | number | boolean | undefined>;

/**
 * The cluster's API as the spawner uses it, on node's own HTTP client: plain JSON in and out (no model
 * classes: the shared watches list thousands of objects and keep a few fields of each), keep-alive
 * connections, and every request but a watch bounded by k8s_api_request_timeout.
 */
export class KubeApi {
  readonly target: KubeTarget;
  readonly #timeoutMs: number;
  readonly #agent: Agent;

  constructor(target: KubeTarget, timeoutSeconds: number) {
    this.target = target;
    this.#timeoutMs = timeoutSeconds * 1000;
    this.#agent = new Agent({ keepAlive: true });
  }

  static fromConfig(k: KubernetesConfig): KubeApi {
    return new KubeApi(loadKubeConfig(k.kubeconfig), k.k8s_api_request_timeout);
  }

  async #send(method: string, path: string, query: Query, signal: AbortSignal, body?: unknown) {
    const url = new URL(`${this.target.server}${path}`);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
    const creds = await this.target.credentials();
    const headers: Record<string, string> = { accept: 'application/json, */*' };
    if (creds.token) headers.authorization = `Bearer ${creds.token}`;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    if (payload !== undefined) headers['content-type'] = 'application/json';
    const https = url.protocol === 'https:';
    const options = https
      ? {
          agent: this.#agent,
          ca: this.target.ca,
          cert: creds.cert,
          key: creds.key,
          rejectUnauthorized: this.target.rejectUnauthorized,
          servername: this.target.servername,
        }
      : {};
    return new Promise<IncomingMessage>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const req = (https ? httpsRequest : httpRequest)(url, { ...options, method, headers }, resolve);
      endOnAbort(req, signal, reject);
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** One API call; the answer parsed as JSON, or as text for `text: true` (pod logs). Error statuses throw KubeApiError. */
  async request(
    method: string,
    path: string,
    o: { query?: Query; body?: unknown; text?: boolean; timeoutMs?: number } = {},
  ): Promise<unknown> {
    const signal = AbortSignal.timeout(o.timeoutMs ?? this.#timeoutMs);
    const res = await this.#send(method, path, o.query ?? {}, signal, o.body);
    const chunks: Buffer[] = [];
    try {
      for await (const c of res) chunks.push(c as Buffer);
    } catch (err) {
      throw signal.aborted ? signal.reason : err;
    }
    const text = Buffer.concat(chunks).toString('utf8');
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) throw new KubeApiError(status, text);
    return o.text ? text : JSON.parse(text);
  }

  /** A list (GET) as plain JSON, with its own time bound: a list of thousands of pods takes longer than one call. */
  getJson(path: string, query: Query, timeoutMs: number): Promise<unknown> {
    return this.request('GET', path, { query, timeoutMs });
  }

  /**
   * Starts a watch on `path` (newline-delimited JSON events); `done` is called once when it ends, with the
   * error if it failed (a KubeApiError for an error status, so a 410 is recognisable).
   */
  async watch(
    path: string,
    query: Query,
    onEvent: (type: string, object: Record<string, unknown>) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    const controller = new AbortController();
    let ended = false;
    const end = (err: unknown) => {
      if (ended) return;
      ended = true;
      done(controller.signal.aborted ? null : err);
    };
    this.#send('GET', path, { ...query, watch: true }, controller.signal).then(async (res) => {
      try {
        if (res.statusCode !== 200) {
          const chunks: Buffer[] = [];
          for await (const c of res) chunks.push(c as Buffer);
          throw new KubeApiError(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'));
        }
        let rest = '';
        res.setEncoding('utf8');
        for await (const chunk of res) {
          const lines = (rest + (chunk as string)).split('\n');
          rest = lines.pop()!;
          for (const line of lines) {
            if (line.trim() === '') continue;
            const event = JSON.parse(line) as { type: string; object: Record<string, unknown> };
            onEvent(event.type, event.object);
          }
        }
        end(null);
      } catch (err) {
        end(err);
      }
    }, end);
    return controller;
  }
}
