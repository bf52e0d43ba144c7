// Loopback stand-ins for GitHub's and GitLab's OAuth 2.0 apps and the few REST endpoints the presets call,
// answering with the paths, status codes and JSON shapes their documentation gives (GitHub: "Authorizing
// OAuth apps", "Check organization membership for a user", "Get team membership for a user"; GitLab: "OAuth
// 2.0 identity provider API", "Groups API", "Group and project members API"). They stand in for the real
// services, which tests cannot reach; tests using them say "simulated". The person signed in at the provider
// is `signInAs` (its login and consent pages are the provider's business, not the hub's).
import { createHash, randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Browser, type PageReply } from './browser-session.ts';
import type { TestHub } from './harness.ts';
import { type TestProvider, throughProvider } from './oidc-provider.ts';

export interface SimUser {
  id: number;
  login: string;
  name?: string;
}

interface Grant {
  user: SimUser;
  redirectUri: string;
  challenge: string | null;
}

/** A canned answer for one API path, to play a provider that says 403 or 404 where a member would get 204. */
export type Override = (path: string) => { status: number; body?: unknown } | null;

interface SimBase {
  url: string;
  clientId: string;
  clientSecret: string;
  /** Who the next authorization signs in as. */
  signInAs: SimUser | null;
  /** Every API path asked, in order (token exchange and authorize excluded). */
  apiCalls: string[];
  override: Override | null;
  /** A token for `user` without the browser dance, for tests of one API call. */
  tokenFor(user: SimUser): string;
  stop(): Promise<void>;
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
}

const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

/** What the two providers share: the authorization endpoint, codes (one use), PKCE, tokens, a JSON server. */
async function startSim(
  redirectUri: string,
  routes: (sim: SimBase, method: string, url: URL, user: SimUser | null, form: URLSearchParams) => Reply | null,
  tokenPath: string,
  tokenError: (what: 'bad_code' | 'bad_client') => Reply,
  tokenOk: (token: string) => Record<string, unknown>,
): Promise<SimBase> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const codes = new Map<string, Grant>();
  const tokens = new Map<string, SimUser>();
  const refreshes = new Map<string, SimUser>();
  const sim: SimBase = {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    clientId: `Iv1.${randomBytes(8).toString('hex')}`,
    clientSecret: randomBytes(20).toString('hex'),
    signInAs: null,
    apiCalls: [],
    override: null,
    tokenFor: (user) => {
      const token = `gho_${randomBytes(18).toString('hex')}`;
      tokens.set(token, user);
      return token;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };

  const send = (res: ServerResponse, r: Reply) => {
    res.statusCode = r.status;
    for (const [k, v] of Object.entries(r.headers ?? {})) res.setHeader(k, v);
    if (r.body === undefined) return void res.end();
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.end(JSON.stringify(r.body));
  };

  function authorize(url: URL): Reply {
    const q = url.searchParams;
    if (q.get('client_id') !== sim.clientId) return { status: 404, body: { message: 'Not Found' } };
    const redirect = q.get('redirect_uri') ?? redirectUri;
    if (redirect !== redirectUri) {
      const back = new URL(redirectUri);
      back.search = new URLSearchParams({ error: 'redirect_uri_mismatch', state: q.get('state') ?? '' }).toString();
      return { status: 302, headers: { location: back.href } };
    }
    if (!sim.signInAs) return { status: 200, body: { message: 'sign in' } };
    const code = randomBytes(10).toString('hex');
    const method = q.get('code_challenge_method');
    codes.set(code, {
      user: sim.signInAs,
      redirectUri: redirect,
      challenge: method === 'S256' ? q.get('code_challenge') : null,
    });
    const back = new URL(redirect);
    back.searchParams.set('code', code);
    if (q.get('state') !== null) back.searchParams.set('state', q.get('state')!);
    return { status: 302, headers: { location: back.href } };
  }

  function exchange(req: IncomingMessage, form: URLSearchParams): Reply {
    const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '');
    const [id, secret] = basic
      ? Buffer.from(basic[1]!, 'base64').toString().split(':').map(decodeURIComponent)
      : [form.get('client_id'), form.get('client_secret')];
    if (id !== sim.clientId || secret !== sim.clientSecret) return tokenError('bad_client');
    if (form.get('grant_type') === 'refresh_token') {
      // GitLab's refresh grant (GitHub's OAuth apps issue none): one use, a new access and refresh token.
      const user = refreshes.get(form.get('refresh_token') ?? '');
      refreshes.delete(form.get('refresh_token') ?? '');
      return user ? issue(user) : tokenError('bad_code');
    }
    const code = form.get('code') ?? '';
    const grant = codes.get(code);
    codes.delete(code);
    const verifier = form.get('code_verifier');
    const pkceOk = grant?.challenge == null || (verifier !== null && s256(verifier) === grant.challenge);
    if (!grant || !pkceOk || (form.get('redirect_uri') ?? grant.redirectUri) !== grant.redirectUri)
      return tokenError('bad_code');
    return issue(grant.user);
  }

  function issue(user: SimUser): Reply {
    const token = `gho_${randomBytes(18).toString('hex')}`;
    tokens.set(token, user);
    const body = tokenOk(token);
    if (typeof body.refresh_token === 'string') refreshes.set(body.refresh_token, user);
    return { status: 200, body };
  }

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    (async () => {
      const url = new URL(req.url ?? '/', sim.url);
      const form = new URLSearchParams(req.method === 'POST' ? await readBody(req) : '');
      if (req.method === 'POST' && url.pathname === tokenPath) {
        // GitHub takes the parameters in the query string too.
        for (const [k, v] of url.searchParams) if (!form.has(k)) form.set(k, v);
        return send(res, exchange(req, form));
      }
      if (req.method === 'GET' && /\/oauth\/authorize$/.test(url.pathname)) return send(res, authorize(url));
      sim.apiCalls.push(url.pathname);
      const canned = sim.override?.(url.pathname);
      if (canned) return send(res, canned);
      const auth = /^(?:Bearer|token) (.+)$/i.exec(req.headers.authorization ?? '');
      const user = auth ? (tokens.get(auth[1]!) ?? null) : null;
      send(res, routes(sim, req.method ?? 'GET', url, user, form) ?? { status: 404, body: { message: 'Not Found' } });
    })().catch((err: Error) => {
      res.statusCode = 500;
      res.end(err.message);
    });
  });
  return sim;
}

// ---- GitHub (Enterprise Server layout: the API under <github_url>/api/v3) ----

export interface GitHubSim extends SimBase {
  /** Organization → its members' logins. */
  orgs: Map<string, Set<string>>;
  /** "org:team" → login → membership state (pending: invited, not yet a member). */
  teams: Map<string, Map<string, 'active' | 'pending'>>;
}

const GH_DOCS = 'https://docs.github.com/rest';

export async function startGitHubSim(redirectUri: string): Promise<GitHubSim> {
  const orgs = new Map<string, Set<string>>();
  const teams = new Map<string, Map<string, 'active' | 'pending'>>();
  const notFound = { status: 404, body: { message: 'Not Found', documentation_url: GH_DOCS, status: '404' } };
  const base = await startSim(
    redirectUri,
    (_sim, method, url, user) => {
      const p = url.pathname.replace(/^\/api\/v3/, '');
      if (!url.pathname.startsWith('/api/v3/') || method !== 'GET') return null;
      if (!user)
        return { status: 401, body: { message: 'Requires authentication', documentation_url: GH_DOCS, status: '401' } };
      if (p === '/user')
        return { status: 200, body: { login: user.login, id: user.id, type: 'User', name: user.name } };
      if (p === '/user/teams') {
        const mine = [...teams].filter(([, m]) => m.get(user.login) === 'active');
        const all = mine.map(([key], i) => {
          const [org, slug] = key.split(':') as [string, string];
          return { id: i + 1, name: slug, slug, organization: { login: org } };
        });
        const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 30), 100);
        const page = Number(url.searchParams.get('page') ?? 1);
        const headers: Record<string, string> = {};
        if (page * perPage < all.length)
          headers.link = `<${url.origin}${url.pathname}?per_page=${perPage}&page=${page + 1}>; rel="next"`;
        return { status: 200, body: all.slice((page - 1) * perPage, page * perPage), headers };
      }
      if (p === '/user/orgs')
        return {
          status: 200,
          body: [...orgs].filter(([, m]) => m.has(user.login)).map(([login], i) => ({ login, id: i + 1 })),
        };
      let m = /^\/orgs\/([^/]+)\/members\/([^/]+)$/.exec(p);
      if (m) {
        const members = orgs.get(decodeURIComponent(m[1]!));
        if (!members) return notFound;
        // A requester outside the organization is sent to the public member check.
        if (!members.has(user.login))
          return { status: 302, headers: { location: `${url.origin}/api/v3/orgs/${m[1]}/public_members/${m[2]}` } };
        return members.has(decodeURIComponent(m[2]!)) ? { status: 204 } : notFound;
      }
      m = /^\/orgs\/([^/]+)\/teams\/([^/]+)\/memberships\/([^/]+)$/.exec(p);
      if (m) {
        const key = `${decodeURIComponent(m[1]!)}:${decodeURIComponent(m[2]!)}`;
        const state = teams.get(key)?.get(decodeURIComponent(m[3]!));
        if (!state) return notFound;
        return { status: 200, body: { url: `${url.origin}${url.pathname}`, role: 'member', state } };
      }
      return null;
    },
    '/login/oauth/access_token',
    // GitHub answers token errors with 200 and an error object.
    (what) => ({
      status: 200,
      body:
        what === 'bad_client'
          ? {
              error: 'incorrect_client_credentials',
              error_description: 'The client_id and/or client_secret passed are incorrect.',
            }
          : { error: 'bad_verification_code', error_description: 'The code passed is incorrect or expired.' },
    }),
    (token) => ({ access_token: token, token_type: 'bearer', scope: 'read:org' }),
  );
  return Object.assign(base, { orgs, teams });
}

// ---- GitLab (API under <gitlab_url>/api/v4) ----

export interface GitLabSim extends SimBase {
  /** Group full path → member user ids. */
  groups: Map<string, Set<number>>;
  /** Project id → user id → access level (10 Guest, 20 Reporter, 30 Developer, 40 Maintainer, 50 Owner). */
  projects: Map<number, Map<number, number>>;
}

export async function startGitLabSim(redirectUri: string): Promise<GitLabSim> {
  const groups = new Map<string, Set<number>>();
  const projects = new Map<number, Map<number, number>>();
  const notFound = { status: 404, body: { message: '404 Not found' } };
  const base = await startSim(
    redirectUri,
    (_sim, method, url, user) => {
      const p = url.pathname;
      if (!p.startsWith('/api/v4/') || method !== 'GET') return null;
      if (!user) return { status: 401, body: { message: '401 Unauthorized' } };
      if (p === '/api/v4/user')
        return { status: 200, body: { id: user.id, username: user.login, name: user.name, state: 'active' } };
      if (p === '/api/v4/groups') {
        const mine = [...groups]
          .filter(([, m]) => m.has(user.id))
          .map(([full_path], i) => ({
            id: i + 1,
            path: full_path.split('/').pop(),
            full_path,
          }));
        const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 20), 100);
        const page = Number(url.searchParams.get('page') ?? 1);
        const pages = Math.max(1, Math.ceil(mine.length / perPage));
        const headers: Record<string, string> = {
          'x-page': String(page),
          'x-per-page': String(perPage),
          'x-total': String(mine.length),
          'x-total-pages': String(pages),
          'x-next-page': page < pages ? String(page + 1) : '',
        };
        return { status: 200, body: mine.slice((page - 1) * perPage, page * perPage), headers };
      }
      const m = /^\/api\/v4\/projects\/(\d+)\/members\/all\/(\d+)$/.exec(p);
      if (m) {
        const level = projects.get(Number(m[1]))?.get(Number(m[2]));
        if (level === undefined) return notFound;
        return { status: 200, body: { id: Number(m[2]), username: user.login, state: 'active', access_level: level } };
      }
      return null;
    },
    '/oauth/token',
    (what) =>
      what === 'bad_client'
        ? {
            status: 401,
            body: {
              error: 'invalid_client',
              error_description:
                'Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.',
            },
          }
        : {
            status: 400,
            body: {
              error: 'invalid_grant',
              error_description:
                'The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.',
            },
          },
    (token) => ({
      access_token: token,
      token_type: 'Bearer',
      expires_in: 7200,
      refresh_token: randomBytes(16).toString('hex'),
      scope: 'read_api',
      created_at: Math.floor(Date.now() / 1000),
    }),
  );
  return Object.assign(base, { groups, projects });
}

/** Through a simulated provider (which signs in `signInAs` without a form) back to the hub's callback. */
export type Landed = PageReply & { browser: Browser };

export async function viaSimulator(h: TestHub, sim: GitHubSim | GitLabSim, user: SimUser): Promise<Landed> {
  sim.signInAs = user;
  const b = new Browser(h);
  const start = await b.get('hub/oauth_login');
  assert.equal(start.status, 302, start.text);
  const authorize = new URL(start.location!);
  assert.equal(authorize.origin, sim.url);
  assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
  const back = await b.get(authorize.href);
  assert.equal(back.status, 302, back.text);
  const done = await b.get(back.location!);
  return Object.assign(done, { browser: b });
}

/** Through the OpenID provider's login form back to the hub's callback, then into it. */
export async function viaProvider(h: TestHub, idp: TestProvider, login: string, password: string): Promise<Landed> {
  const b = new Browser(h);
  const atProvider = await b.get((await b.get('hub/oauth_login')).location!);
  const callback = await throughProvider(idp, b, atProvider, login, password);
  return Object.assign(await b.get(callback.href), { browser: b });
}
