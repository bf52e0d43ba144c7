// A tiny browser stand-in for page tests: a cookie jar (name + path), manual redirects, form posts.
// Plain node:http, because fetch adds headers of its own (Sec-Fetch-Mode: cors) that the hub looks at.
import { request as httpRequest } from 'node:http';
import type { TestHub } from './harness.ts';

export interface PageReply {
  status: number;
  headers: Headers;
  text: string;
  json: any;
  /** Location resolved against the request URL, for redirects. */
  location: string | null;
  setCookies: string[];
}

interface StoredCookie {
  name: string;
  value: string;
  path: string;
  attributes: string;
}

async function send(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
): Promise<{ status: number; headers: Headers; setCookies: string[]; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method,
        headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        timeout: 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers))
            if (k !== 'set-cookie' && v !== undefined) h.set(k, [v].flat().join(', '));
          resolve({
            status: res.statusCode ?? 0,
            headers: h,
            setCookies: res.headers['set-cookie'] ?? [],
            text: Buffer.concat(chunks).toString('utf8'),
          });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

export class Browser {
  readonly h: Pick<TestHub, 'url'>;
  readonly cookies: StoredCookie[] = [];
  userAgent = 'tshub-test-browser/1.0';

  constructor(h: Pick<TestHub, 'url'>) {
    this.h = h;
  }

  /** Cookies the browser would send to `path`. */
  cookieHeader(path: string): string {
    return this.cookies
      .filter(
        (c) =>
          path === c.path || path.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`) || `${path}/` === c.path,
      )
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  cookie(name: string): StoredCookie | undefined {
    return this.cookies.find((c) => c.name === name);
  }

  #store(setCookies: string[]): void {
    for (const line of setCookies) {
      const [pair = '', ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const path = attrs.find((a) => a.toLowerCase().startsWith('path='))?.slice(5) ?? '/';
      const maxAge = attrs.find((a) => a.toLowerCase().startsWith('max-age='));
      const i = this.cookies.findIndex((c) => c.name === name && c.path === path);
      if (i !== -1) this.cookies.splice(i, 1);
      if (maxAge && Number(maxAge.slice(8)) <= 0) continue;
      this.cookies.push({ name, value, path, attributes: attrs.join('; ') });
    }
  }

  async request(
    method: string,
    pathOrUrl: string,
    opts: {
      form?: Record<string, string | string[]>;
      json?: unknown;
      body?: string;
      headers?: Record<string, string>;
      navigate?: boolean;
    } = {},
  ): Promise<PageReply> {
    const url = new URL(pathOrUrl.startsWith('http') ? pathOrUrl : pathOrUrl.replace(/^\//, ''), this.h.url);
    const headers: Record<string, string> = { 'user-agent': this.userAgent, ...opts.headers };
    const cookie = this.cookieHeader(url.pathname);
    if (cookie) headers.cookie = cookie;
    if (opts.navigate) {
      headers['sec-fetch-mode'] = 'navigate';
      headers.accept = 'text/html,application/xhtml+xml,*/*;q=0.8';
    }
    let body: string | undefined = opts.body;
    if (opts.form) {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(opts.form)) for (const x of [v].flat()) params.append(k, x);
      body = params.toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else if (opts.json !== undefined) {
      body = JSON.stringify(opts.json);
      headers['content-type'] ??= 'application/json';
    }
    const res = await send(url, method, headers, body);
    this.#store(res.setCookies);
    const text = res.text;
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    const loc = res.headers.get('location');
    return {
      status: res.status,
      headers: res.headers,
      text,
      json,
      location: loc === null ? null : new URL(loc, url).toString(),
      setCookies: res.setCookies,
    };
  }

  get(path: string, opts: Parameters<Browser['request']>[2] = {}): Promise<PageReply> {
    return this.request('GET', path, { navigate: true, ...opts });
  }

  /** The `_xsrf` hidden field of a form page. */
  static xsrfField(htmlText: string): string {
    const m = /name="_xsrf" value="([^"]+)"/.exec(htmlText);
    if (!m) throw new Error('no _xsrf field in the page');
    return m[1]!;
  }

  /** Loads the login form and signs in; returns the final reply (a redirect on success). */
  async login(username: string, password = 'any', next?: string): Promise<PageReply> {
    const q = next === undefined ? '' : `?next=${encodeURIComponent(next)}`;
    const form = await this.get(`hub/login${q}`);
    if (form.status !== 200) throw new Error(`login page: ${form.status}`);
    return this.request('POST', `hub/login${q}`, { form: { _xsrf: Browser.xsrfField(form.text), username, password } });
  }

  /** window.jhdata of a page. */
  static jhdata(htmlText: string): any {
    const m = /window\.jhdata = (\{.*?\});<\/script>/s.exec(htmlText);
    if (!m) throw new Error('no jhdata in the page');
    return JSON.parse(m[1]!);
  }
}
