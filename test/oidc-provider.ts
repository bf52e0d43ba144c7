// A real OpenID provider for the login tests: oidc-provider (OpenID Certified) on 127.0.0.1, port 0, with
// our own accounts and a login form the tests fill in, no consent screen (a first-party client), and short
// token lifetimes. `tamperIdToken` rewrites the id_token of the next token responses, to play an attacker
// who can answer for the token endpoint (e.g. a compromised TLS proxy).
import { generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Browser, PageReply } from './browser-session.ts';

export interface Account {
  sub: string;
  preferred_username: string;
  password: string;
  email?: string;
  groups?: string[];
  /** Any other claim (a preset's: hd, email_verified, tid, name). */
  [claim: string]: unknown;
}

export interface IdTokenTamper {
  /** Changes to the claims (undefined deletes one). */
  claims?: Record<string, unknown>;
  /** Sign with a key the provider never published (a forgery), instead of the provider's own. */
  forge?: boolean;
}

export interface TestProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  tamperIdToken: IdTokenTamper | null;
  /** Requests the token endpoint answered. */
  tokenRequests: number;
  stop(): Promise<void>;
}

// oidc-provider ships no types; this is the little of its surface the helper uses.
interface KoaContext {
  path: string;
  body: unknown;
  oidc: any;
}
interface OidcProvider {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  use(mw: (ctx: KoaContext, next: () => Promise<void>) => Promise<void>): void;
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<{ uid: string; prompt: { name: string } }>;
  interactionFinished(req: IncomingMessage, res: ServerResponse, result: unknown, opts?: unknown): Promise<void>;
}

const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

function resign(jwt: string, tamper: IdTokenTamper, key: KeyObject, attacker: KeyObject): string {
  const [h = '', p = ''] = jwt.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url').toString());
  const claims = { ...JSON.parse(Buffer.from(p, 'base64url').toString()), ...tamper.claims };
  const input = `${b64url(header)}.${b64url(claims)}`;
  const sig = sign('sha256', Buffer.from(input), tamper.forge ? attacker : key).toString('base64url');
  return `${input}.${sig}`;
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString());
}

const loginPage = (uid: string, error = '') =>
  `<!doctype html><title>Sign in</title>${error ? `<p class="error">${error}</p>` : ''}` +
  `<form method="post" action="/interaction/${uid}/login"><input name="login"><input name="password" type="password"><button>Sign in</button></form>`;

export async function startProvider(opts: {
  redirectUri: string;
  postLogoutRedirectUris: string[];
  accounts: Account[];
  /** Which claims each scope releases, to play a provider with its own (default: the generic four). */
  claims?: Record<string, string[]>;
  /** Also put the scopes' claims in the id_token (as Entra does with groups and tid), not only in userinfo. */
  claimsInIdToken?: boolean;
}): Promise<TestProvider> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const kid = 'test-signing-key';
  const accounts = new Map(opts.accounts.map((a) => [a.sub, a]));
  const byLogin = new Map(opts.accounts.map((a) => [a.preferred_username, a]));

  const modName = 'oidc-provider';
  const { default: Provider } = (await import(modName)) as {
    default: new (issuer: string, conf: object) => OidcProvider;
  };
  const tp: TestProvider = {
    issuer,
    clientId: 'tshub-test',
    clientSecret: randomBytes(16).toString('hex'),
    tamperIdToken: null,
    tokenRequests: 0,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: tp.clientId,
        client_secret: tp.clientSecret,
        redirect_uris: [opts.redirectUri],
        post_logout_redirect_uris: opts.postLogoutRedirectUris,
        response_types: ['code'],
        grant_types: ['authorization_code', 'refresh_token'],
        // GenericOAuthenticator's default (basic_auth: false).
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' }] },
    cookies: { keys: [randomBytes(16).toString('hex')] },
    scopes: ['openid', 'profile', 'email', 'groups'],
    claims: opts.claims ?? { openid: ['sub'], profile: ['preferred_username'], email: ['email'], groups: ['groups'] },
    conformIdTokenClaims: !opts.claimsInIdToken,
    findAccount: async (_ctx: unknown, id: string) => {
      const a = accounts.get(id);
      if (!a) return undefined;
      const { password: _secret, ...claims } = a;
      return { accountId: id, claims: async () => claims };
    },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: { enabled: true },
      revocation: { enabled: true },
    },
    // A refresh token with every login (not only with offline_access), for the auth_state refresh tests.
    issueRefreshToken: async () => true,
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    // A first-party client: whatever it asks for is granted, without a consent screen.
    loadExistingGrant: async (ctx: KoaContext) => {
      const o = ctx.oidc;
      const id = o.result?.consent?.grantId ?? o.session.grantIdFor(o.client.clientId);
      if (id) return o.provider.Grant.find(id);
      const grant = new o.provider.Grant({ clientId: o.client.clientId, accountId: o.session.accountId });
      grant.addOIDCScope('openid profile email groups');
      await grant.save();
      return grant;
    },
    ttl: { AccessToken: 120, AuthorizationCode: 60, IdToken: 120, Interaction: 300, Session: 600, Grant: 600 },
  });
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path !== '/token') return;
    tp.tokenRequests++;
    const body = ctx.body as { id_token?: string } | undefined;
    if (tp.tamperIdToken && body?.id_token)
      ctx.body = { ...body, id_token: resign(body.id_token, tp.tamperIdToken, privateKey, attacker) };
  });

  const handle = provider.callback();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const m = /^\/interaction\/([\w-]+)(\/login)?$/.exec(new URL(req.url ?? '/', issuer).pathname);
    if (!m) return handle(req, res);
    interaction(req, res, m[1]!, m[2] !== undefined).catch((err: Error) => {
      res.statusCode = 500;
      res.end(err.message);
    });
  });

  async function interaction(req: IncomingMessage, res: ServerResponse, uid: string, submitted: boolean) {
    const details = await provider.interactionDetails(req, res);
    if (details.prompt.name !== 'login') throw new Error(`unexpected prompt ${details.prompt.name}`);
    if (!submitted) {
      res.setHeader('content-type', 'text/html');
      return void res.end(loginPage(uid));
    }
    const form = await readForm(req);
    const account = byLogin.get(form.get('login') ?? '');
    if (!account || account.password !== form.get('password')) {
      res.statusCode = 401;
      res.setHeader('content-type', 'text/html');
      return void res.end(loginPage(uid, 'Wrong login or password'));
    }
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: account.sub } },
      { mergeWithLastSubmission: false },
    );
  }

  return tp;
}

/**
 * Follows a browser through the provider from `first` (an answer on the way there), filling the provider's
 * login form when it shows one, up to the hub's OAuth callback: returns that URL, not followed.
 */
export async function throughProvider(
  idp: TestProvider,
  b: Browser,
  first: PageReply,
  login: string,
  password: string,
): Promise<URL> {
  let r = first;
  for (let hops = 0; hops < 12; hops++) {
    if (r.status === 200 && r.text.includes('name="login"')) {
      const action = new URL(/action="([^"]+)"/.exec(r.text)![1]!, idp.issuer).href;
      r = await b.request('POST', action, { form: { login, password } });
    } else if (r.status >= 300 && r.status < 400 && r.location) {
      if (r.location.startsWith(`${b.h.url}hub/oauth_callback`)) return new URL(r.location);
      r = await b.get(r.location);
    } else throw new Error(`the provider answered ${r.status}: ${r.text.slice(0, 300)}`);
  }
  throw new Error('too many redirects at the provider');
}
