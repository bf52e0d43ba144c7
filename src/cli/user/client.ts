import { CredentialsError, hubKey, loadCredentials } from './store.ts';

/** What every user command takes to find its hub. */
export interface ConnectFlags {
  url?: string;
  token?: string;
  json?: boolean;
}

/** The hub answered with an error (or could not be reached): its message and, from tshub, its reason. */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;
  readonly reason: string | null;
  constructor(status: number, message: string, reason: string | null) {
    super(message);
    this.status = status;
    this.reason = reason;
  }
}

/** Missing or unusable connection settings: a usage error (exit 2), not the hub's answer. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The REST API base from a hub URL (`http://h/` or `http://h/prefix/`) or an API URL (`.../hub/api`). */
export function apiBase(url: string): URL {
  let u: URL;
  try {
    u = new URL(hubKey(url));
  } catch {
    throw new UsageError(`not a URL: ${url}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`not an http(s) URL: ${url}`);
  return u.pathname.endsWith('/hub/api/') ? u : new URL('hub/api/', u);
}

/** The hub's public URL from its API base: what logins are stored under. */
export function hubUrl(api: URL): string {
  return api.href.replace(/hub\/api\/$/, '');
}

export interface Answer {
  status: number;
  body: any;
}

export class HubClient {
  readonly api: URL;
  readonly token: string;
  constructor(api: URL, token: string) {
    this.api = api;
    this.token = token;
  }

  /** Sends one request; a status of 400 or more becomes an ApiError with the hub's message and reason. */
  async request(method: string, path: string, body?: unknown): Promise<Answer> {
    const res = await this.send(method, path, body);
    const text = await res.text();
    let parsed: any;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    if (res.status >= 400) {
      const message =
        typeof parsed?.message === 'string' && parsed.message ? parsed.message : res.statusText || 'request failed';
      throw new ApiError(res.status, message, typeof parsed?.reason === 'string' ? parsed.reason : null);
    }
    return { status: res.status, body: parsed };
  }

  /** Reads a text/event-stream (the spawn progress), calling `onEvent` for each JSON event until it ends. */
  async events(path: string, onEvent: (event: any) => void, timeoutMs: number): Promise<void> {
    const res = await this.send('GET', path, undefined, timeoutMs, 'text/event-stream');
    if (res.status >= 400 || !res.body) {
      const parsed: any = await res.json().catch(() => null);
      throw new ApiError(res.status, parsed?.message ?? res.statusText, parsed?.reason ?? null);
    }
    const decoder = new TextDecoder();
    let buffered = '';
    for await (const chunk of res.body) {
      buffered += decoder.decode(chunk, { stream: true });
      let end = buffered.indexOf('\n\n');
      while (end >= 0) {
        const data = buffered
          .slice(0, end)
          .split('\n')
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).trimStart())
          .join('\n');
        buffered = buffered.slice(end + 2);
        if (data) {
          try {
            onEvent(JSON.parse(data));
          } catch {
            // A keep-alive or a line that is not an event: nothing to report.
          }
        }
        end = buffered.indexOf('\n\n');
      }
    }
  }

  private async send(
    method: string,
    path: string,
    body: unknown,
    timeoutMs = 30_000,
    accept = 'application/json',
  ): Promise<Response> {
    const url = new URL(path, this.api);
    const headers: Record<string, string> = { authorization: `token ${this.token}`, accept };
    if (body !== undefined) headers['content-type'] = 'application/json';
    try {
      return await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
      throw new ApiError(0, `cannot reach ${url.origin}: ${cause}`, null);
    }
  }
}

/**
 * The hub and token: flags first, then JUPYTERHUB_API_URL / JUPYTERHUB_API_TOKEN (as inside a single-user
 * server), then the stored login (for the URL given, or the default hub).
 */
export async function connect(flags: ConnectFlags, env: NodeJS.ProcessEnv = process.env): Promise<HubClient> {
  const url = flags.url ?? env.JUPYTERHUB_API_URL;
  let token = flags.token ?? env.JUPYTERHUB_API_TOKEN;
  let stored = null;
  if (url === undefined || token === undefined) {
    try {
      // Logins are stored under the hub's URL, so an API URL (JUPYTERHUB_API_URL's form) finds them too.
      stored = await loadCredentials(url === undefined ? undefined : hubUrl(apiBase(url)));
    } catch (err) {
      if (err instanceof CredentialsError) throw new UsageError(err.message);
      throw err;
    }
  }
  const hub = url ?? stored?.url;
  token ??= stored?.token;
  if (hub === undefined)
    throw new UsageError('no hub: pass --url, set JUPYTERHUB_API_URL, or run tshub login --url URL first');
  if (!token)
    throw new UsageError(
      `no token for ${hub}: pass --token, set JUPYTERHUB_API_TOKEN, or run tshub login --url ${hub} first`,
    );
  return new HubClient(apiBase(hub), token);
}
