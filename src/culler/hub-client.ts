import { readFileSync } from 'node:fs';
import https from 'node:https';
import { rootCertificates } from 'node:tls';
import { join } from 'node:path';
import { createLimiter } from './limiter.ts';

export const PAGINATION_ACCEPT = 'application/jupyterhub-pagination+json';

export interface HttpRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

export interface HttpResponse {
  status: number;
  body: string;
  /** Retry-After in seconds, when the hub sent one (with a 429 or 503). */
  retryAfter?: number;
}

/** Retry-After as delay-seconds (an HTTP date is read as 'soon': hubs send seconds). */
function retryAfterOf(value: string | null | undefined): number | undefined {
  if (value == null) return undefined;
  const s = Number(value);
  return Number.isFinite(s) && s >= 0 ? s : 1;
}

// A rate-limited request is sent again after the hub's Retry-After, this many times at most, waiting at
// most this long each time: a busy culler pass slows down instead of failing.
const MAX_RATE_LIMIT_RETRIES = 5;
const MAX_RETRY_WAIT_S = 60;

/** Sends one request; fetch normally, node:https when the hub wants a client certificate (fetch cannot present one). */
export type Transport = (req: HttpRequest) => Promise<HttpResponse>;

export class HubRequestError extends Error {
  readonly status: number | null;
  constructor(message: string, status: number | null) {
    super(message);
    this.name = 'HubRequestError';
    this.status = status;
  }
}

export const fetchTransport: Transport = async (req) => {
  const res = await fetch(req.url, {
    method: req.method,
    headers: req.headers,
    body: req.body,
    signal: AbortSignal.timeout(req.timeoutMs),
  });
  return { status: res.status, body: await res.text(), retryAfter: retryAfterOf(res.headers.get('retry-after')) };
};

/**
 * For a hub with internal SSL: the hub-internal client certificate and key, and the hub CA trusted on top of
 * the usual roots, read from the directory layout JupyterHub's internal_ssl writes.
 */
export function tlsTransport(certsDir: string): Transport {
  const file = (...p: string[]) => {
    const path = join(certsDir, ...p);
    try {
      return readFileSync(path);
    } catch (err) {
      throw new Error(`--ssl-enabled: cannot read ${path}: ${(err as Error).message}`);
    }
  };
  const agent = new https.Agent({
    keepAlive: true,
    key: file('hub-internal', 'hub-internal.key'),
    cert: file('hub-internal', 'hub-internal.crt'),
    ca: [...rootCertificates, file('hub-ca', 'hub-ca.crt').toString()],
  });
  return (req) => {
    if (!req.url.startsWith('https:')) return fetchTransport(req);
    return new Promise((resolve, reject) => {
      const r = https.request(
        req.url,
        { method: req.method, headers: req.headers, agent, signal: AbortSignal.timeout(req.timeoutMs) },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          const retryAfter = retryAfterOf([res.headers['retry-after']].flat()[0]);
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), retryAfter }),
          );
          res.on('error', reject);
        },
      );
      r.on('error', reject);
      r.end(req.body);
    });
  };
}

export interface HubClientOptions {
  /** The hub API URL, without a trailing slash (…/hub/api). */
  url: string;
  token: string;
  /** Requests in flight at once; 0 = no limit. */
  concurrency: number;
  timeoutMs: number;
  transport?: Transport;
  userAgent?: string;
}

export interface ListResult<T> {
  items: T[];
  pages: number;
}

/** The few REST calls the culler makes, each bounded by the concurrency limit and the request timeout. */
export class HubClient {
  readonly url: string;
  readonly #token: string;
  readonly #timeoutMs: number;
  readonly #transport: Transport;
  readonly #limit: <T>(task: () => Promise<T>) => Promise<T>;
  readonly #userAgent: string;

  constructor(opts: HubClientOptions) {
    this.url = opts.url;
    this.#token = opts.token;
    this.#timeoutMs = opts.timeoutMs;
    this.#transport = opts.transport ?? fetchTransport;
    this.#limit = createLimiter(opts.concurrency);
    this.#userAgent = opts.userAgent ?? 'tshub-cull';
  }

  /** A path under the API URL ('/users?x=y') or an absolute URL (pagination's next.url). */
  #resolve(pathOrUrl: string): string {
    return /^https?:\/\//i.test(pathOrUrl) ? pathOrUrl : this.url + pathOrUrl;
  }

  /** One request; any status outside 2xx is an error carrying the hub's own message when it sent one. */
  async request(
    method: string,
    pathOrUrl: string,
    opts: { body?: unknown; accept?: string } = {},
  ): Promise<HttpResponse> {
    const url = this.#resolve(pathOrUrl);
    const headers: Record<string, string> = {
      authorization: `token ${this.#token}`,
      accept: opts.accept ?? 'application/json',
      'user-agent': this.#userAgent,
    };
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] = 'application/json';
    }
    let res: HttpResponse;
    for (let attempt = 0; ; attempt++) {
      try {
        res = await this.#limit(() => this.#transport({ method, url, headers, body, timeoutMs: this.#timeoutMs }));
      } catch (err) {
        const e = err as Error;
        const why =
          e.name === 'TimeoutError'
            ? `no reply within ${this.#timeoutMs / 1000} s`
            : ((e.cause as Error | undefined)?.message ?? e.message);
        throw new HubRequestError(`${method} ${url} failed: ${why}`, null);
      }
      if (res.status !== 429 || attempt === MAX_RATE_LIMIT_RETRIES) break;
      // Outside the concurrency limit: a waiting request holds no slot.
      await new Promise((r) => setTimeout(r, Math.min(res.retryAfter ?? 1, MAX_RETRY_WAIT_S) * 1000));
    }
    if (res.status < 200 || res.status >= 300) {
      throw new HubRequestError(`${method} ${url} answered ${res.status}${hubMessage(res.body)}`, res.status);
    }
    return res;
  }

  async getJson<T>(pathOrUrl: string): Promise<T> {
    return parseJson<T>(await this.request('GET', pathOrUrl), pathOrUrl);
  }

  /**
   * Every item of a list endpoint: asks for pagination and follows `_pagination.next.url` to the end;
   * a hub before 2.0 answers with the bare list at once.
   */
  async list<T>(path: string): Promise<ListResult<T>> {
    const items: T[] = [];
    const seen = new Set<string>();
    let next: string | null = this.#resolve(path);
    let pages = 0;
    while (next) {
      // A next URL already fetched would loop forever: a broken hub, not more users.
      if (seen.has(next)) throw new HubRequestError(`pagination loops back to ${next}`, null);
      seen.add(next);
      const body = parseJson<unknown>(await this.request('GET', next, { accept: PAGINATION_ACCEPT }), next);
      pages++;
      if (Array.isArray(body)) {
        items.push(...(body as T[]));
        break;
      }
      const page = body as { items?: unknown; _pagination?: { next?: { url?: unknown } | null } };
      if (!Array.isArray(page.items))
        throw new HubRequestError(`GET ${next}: neither a list nor a page of items`, null);
      items.push(...(page.items as T[]));
      const url = page._pagination?.next?.url;
      next = typeof url === 'string' && url ? url : null;
    }
    return { items, pages };
  }
}

function parseJson<T>(res: HttpResponse, what: string): T {
  try {
    return JSON.parse(res.body) as T;
  } catch {
    throw new HubRequestError(`GET ${what}: the reply is not JSON`, res.status);
  }
}

function hubMessage(body: string): string {
  try {
    const m = (JSON.parse(body) as { message?: unknown }).message;
    return typeof m === 'string' && m ? `: ${m}` : '';
  } catch {
    return '';
  }
}
