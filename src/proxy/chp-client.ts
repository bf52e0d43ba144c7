import http from 'node:http';
import https from 'node:https';
import { chpApiPath } from './routespec.ts';

/** A failed call to the proxy's REST API; the message names the proxy URL, the request and the status. */
export class ProxyApiError extends Error {
  readonly apiUrl: string;
  /** HTTP status when the proxy answered, null when it could not be reached or timed out. */
  readonly status: number | null;
  /** The system error code (ECONNREFUSED, ETIMEDOUT, ...) when it could not be reached. */
  readonly code: string | null;

  constructor(message: string, apiUrl: string, status: number | null, code: string | null) {
    super(message);
    this.name = 'ProxyApiError';
    this.apiUrl = apiUrl;
    this.status = status;
    this.code = code;
  }

  /** True when nothing answered (refused, reset, timed out), as opposed to an HTTP error status. */
  get unreachable(): boolean {
    return this.status === null;
  }
}

export interface ChpClientOptions {
  apiUrl: string;
  /** Sent as `Authorization: token <t>`; null sends none (a CHP started without CONFIGPROXY_AUTH_TOKEN). */
  authToken: string | null;
  /** Per request, connect included. JupyterHub allows 5 s; the routing table of a big hub takes a while. */
  timeoutMs?: number;
}

export interface ChpReply {
  status: number;
  text: string;
}

/** CHP's own route object: `target`, `last_activity`, JupyterHub's `jupyterhub` marker, and any data. */
export type ChpRouteData = Record<string, unknown> & { target: string };

export type ProbeResult =
  | { state: 'ok' }
  | { state: 'forbidden' }
  | { state: 'other'; status: number }
  | { state: 'unreachable'; message: string };

// A keep-alive socket the proxy has just closed shows up as a reset on the next request; once more
// on a fresh socket is safe because every call here is idempotent (POST replaces the route).
const RETRYABLE = new Set(['ECONNRESET', 'EPIPE']);

function isJsonObject(text: string): boolean {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}

/** A REST client for configurable-http-proxy's `/api/routes` (also spoken by `tshub proxy`). */
export class ChpClient {
  readonly apiUrl: string;
  readonly #base: URL;
  readonly #token: string | null;
  readonly #timeoutMs: number;
  readonly #agent: http.Agent;

  constructor(opts: ChpClientOptions) {
    this.#base = new URL(opts.apiUrl);
    if (this.#base.protocol !== 'http:' && this.#base.protocol !== 'https:')
      throw new Error(`proxy api_url must be http(s): ${opts.apiUrl}`);
    this.apiUrl = this.#base.origin + this.#base.pathname.replace(/\/+$/, '');
    this.#token = opts.authToken;
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
    const Agent = this.#base.protocol === 'https:' ? https.Agent : http.Agent;
    this.#agent = new Agent({ keepAlive: true, maxSockets: 10 });
  }

  /** The token this client sends (kept when the hub is pointed at another proxy API). */
  get authToken(): string | null {
    return this.#token;
  }

  /** One request; resolves with any HTTP status, rejects (ProxyApiError) only when nothing answered. */
  async request(method: string, path: string, body?: unknown, timeoutMs = this.#timeoutMs): Promise<ChpReply> {
    try {
      return await this.#once(method, path, body, timeoutMs);
    } catch (err) {
      if (!(err instanceof ProxyApiError) || !RETRYABLE.has(err.code ?? '')) throw err;
      return await this.#once(method, path, body, timeoutMs);
    }
  }

  #once(method: string, path: string, body: unknown, timeoutMs: number): Promise<ChpReply> {
    const url = new URL(this.apiUrl + path);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = {};
    if (this.#token !== null) headers.authorization = `token ${this.#token}`;
    if (payload) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(payload.length);
    }
    const send = this.#base.protocol === 'https:' ? https.request : http.request;
    const what = `${method} ${url.pathname}`;
    return new Promise((resolve, reject) => {
      const req = send(url, { method, headers, agent: this.#agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', (e) => fail(e));
      });
      const fail = (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        const code = e.code ?? null;
        reject(
          new ProxyApiError(
            `cannot reach the proxy API at ${this.apiUrl} (${what}): ${e.message}`,
            this.apiUrl,
            null,
            code,
          ),
        );
      };
      const timer = setTimeout(() => {
        const e: NodeJS.ErrnoException = new Error(`no answer within ${timeoutMs} ms`);
        e.code = 'ETIMEDOUT';
        req.destroy(e);
      }, timeoutMs);
      req.on('error', fail);
      req.end(payload);
    });
  }

  /** Throws a ProxyApiError naming the request unless the proxy answered one of `ok`. */
  async #expect(method: string, path: string, ok: number[], body?: unknown): Promise<ChpReply> {
    const reply = await this.request(method, path, body);
    if (ok.includes(reply.status)) return reply;
    const hint = reply.status === 403 ? ' (wrong token: check proxy.auth_token / CONFIGPROXY_AUTH_TOKEN)' : '';
    const detail = reply.text.trim() ? `: ${reply.text.trim().slice(0, 200)}` : '';
    throw new ProxyApiError(
      `proxy API at ${this.apiUrl} answered ${reply.status} to ${method} ${path}${hint}${detail}`,
      this.apiUrl,
      reply.status,
      null,
    );
  }

  /** The whole routing table as CHP keeps it: unescaped paths without trailing slash, flat route objects. */
  async getChpRoutes(): Promise<Record<string, ChpRouteData>> {
    const reply = await this.#expect('GET', '/api/routes', [200]);
    try {
      return JSON.parse(reply.text) as Record<string, ChpRouteData>;
    } catch {
      throw new ProxyApiError(
        `proxy API at ${this.apiUrl} sent a routing table that is not JSON: ${reply.text.slice(0, 200)}`,
        this.apiUrl,
        reply.status,
        null,
      );
    }
  }

  /** Adds or replaces a route; `body` is CHP's flat object (target plus data). */
  async postRoute(routespec: string, body: ChpRouteData): Promise<void> {
    await this.#expect('POST', chpApiPath(routespec), [200, 201], body);
  }

  /** Deletes a route; false when the proxy did not have it. */
  async deleteRoute(routespec: string): Promise<boolean> {
    const reply = await this.#expect('DELETE', chpApiPath(routespec), [200, 204, 404]);
    return reply.status !== 404;
  }

  /** Does a proxy answer at api_url, and does it accept our token? Never throws. */
  async probe(timeoutMs = 2000): Promise<ProbeResult> {
    try {
      const { status, text } = await this.request('GET', '/api/routes', undefined, timeoutMs);
      // Something else on the port may answer 200 too; only a routing table (a JSON object) counts.
      if (status === 200) return isJsonObject(text) ? { state: 'ok' } : { state: 'other', status };
      if (status === 403) return { state: 'forbidden' };
      return { state: 'other', status };
    } catch (err) {
      return { state: 'unreachable', message: (err as Error).message };
    }
  }

  /** Drops pooled connections (the proxy itself is not affected). */
  close(): void {
    this.#agent.destroy();
  }
}
