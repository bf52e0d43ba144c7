// Login through an identity provider (authenticator.class: oauth) against a real OpenID provider on
// loopback (test/oidc-provider.ts): the happy path through every redirect, groups to allowed/admin, the
// attacks the flow must refuse (tampered state, replayed code, forged or altered id_token, wrong nonce),
// and logout ending the provider's session too.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildConfig, ConfigError } from '../src/config/index.ts';
import { Browser } from './browser-session.ts';
import { startHub, type TestHub } from './harness.ts';
import { type Account, startProvider, type TestProvider, throughProvider } from './oidc-provider.ts';
import { freePort } from './process.ts';

const DENIED = 'Sorry, you are not currently authorized to use this hub. Please contact the hub administrator.';

const accounts: Account[] = [
  { sub: 'u-alice', preferred_username: 'alice', password: 'alice-pw', groups: ['staff'] },
  { sub: 'u-bob', preferred_username: 'bob', password: 'bob-pw', groups: ['staff', 'hub-admins'] },
  { sub: 'u-carol', preferred_username: 'carol', password: 'carol-pw', groups: ['students'] },
  { sub: 'u-dave', preferred_username: 'Dave.Mixed', password: 'dave-pw', groups: ['staff'] },
  { sub: 'u-erin', preferred_username: 'E.Smith@Corp.Example', password: 'erin-pw', groups: ['staff'] },
];
const passwordOf = (login: string) => accounts.find((a) => a.preferred_username === login)!.password;

const loggedIn = (b: Browser) => b.cookie('jupyterhub-hub-login') !== undefined;

interface SignInOptions {
  next?: string;
  /** Sees (and may alter) the provider's authorization URL before the browser follows it. */
  authorize?: (u: URL) => void;
}

/** From /hub/oauth_login through the provider's login form, up to (not into) the hub's callback. */
async function signIn(idp: TestProvider, b: Browser, login: string, opts: SignInOptions = {}): Promise<URL> {
  const start = await b.get(`hub/oauth_login${opts.next ? `?next=${encodeURIComponent(opts.next)}` : ''}`);
  assert.equal(start.status, 302, start.text);
  const authorize = new URL(start.location!);
  assert.equal(authorize.origin, idp.issuer);
  opts.authorize?.(authorize);
  return throughProvider(idp, b, await b.get(authorize.href), login, passwordOf(login));
}

describe('oauth authenticator config', () => {
  test('needs a client id, and an issuer or all three endpoints', () => {
    assert.throws(
      () => buildConfig({ authenticator: { class: 'oauth', oauth: { authorize_url: 'https://idp.example/auth' } } }),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.problems.some((p) => p.startsWith('authenticator.oauth.client_id')) &&
        err.problems.some((p) => p.startsWith('authenticator.oauth.token_url')),
    );
    const c = buildConfig({
      authenticator: { class: 'oauth', oauth: { client_id: 'x', oidc_issuer: 'https://idp.example/realms/a' } },
    });
    assert.deepEqual(c.authenticator.oauth.scope, ['openid', 'profile', 'email']);
    assert.equal(c.authenticator.oauth.enable_pkce, true);
  });
});

describe('login through an OpenID provider', () => {
  let h: TestHub;
  let idp: TestProvider;

  before(async () => {
    const hubUrl = `http://127.0.0.1:${await freePort()}/`;
    idp = await startProvider({
      redirectUri: `${hubUrl}hub/oauth_callback`,
      postLogoutRedirectUris: [`${hubUrl}hub/login`],
      accounts,
    });
    h = await startHub({
      bind_url: hubUrl,
      authenticator: {
        class: 'oauth',
        allow_all: true,
        username_map: { 'e.smith@corp.example': 'esmith' },
        oauth: {
          oidc_issuer: idp.issuer,
          client_id: idp.clientId,
          client_secret: idp.clientSecret,
          scope: ['openid', 'profile', 'email', 'groups'],
          login_service: 'Test IdP',
          allowed_groups: ['staff'],
          admin_groups: ['hub-admins'],
        },
      },
    });
  });
  after(async () => {
    await h?.stop();
    await idp?.stop();
  });

  const audit = async (query: string) => {
    await h.hub.ctx.audit.flush();
    const r = await h.request('GET', `hub/api/audit?${query}`);
    assert.equal(r.status, 200, r.text);
    return r.json as any[];
  };

  const toCallback = (b: Browser, login: string, opts: SignInOptions = {}) => signIn(idp, b, login, opts);

  test('the login page offers the provider, and the password form logs nobody in', async () => {
    const b = new Browser(h);
    const page = await b.get('hub/login?next=%2Fhub%2Ftoken');
    assert.equal(page.status, 200);
    assert.match(page.text, /Sign in with Test IdP/);
    assert.match(page.text, /href="\/hub\/oauth_login\?next=%2Fhub%2Ftoken"/);
    assert.doesNotMatch(page.text, /name="password"/);
    // Before the fix the dummy rule applied: any name with any password got in.
    const posted = await b.request('POST', 'hub/login', {
      form: { _xsrf: b.cookie('_xsrf')!.value, username: 'alice', password: 'x' },
    });
    assert.equal(posted.status, 403);
    assert.equal(loggedIn(b), false);
  });

  test('a member of allowed_groups logs in and lands on next; discovery, PKCE and nonce are used', async () => {
    const b = new Browser(h);
    const seen: URL[] = [];
    const callback = await toCallback(b, 'alice', { next: '/hub/token', authorize: (u) => seen.push(u) });
    const authorize = seen[0];
    for (const p of ['state', 'nonce', 'code_challenge'])
      assert.ok((authorize!.searchParams.get(p) ?? '').length >= 32, p);
    assert.equal(authorize!.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(authorize!.searchParams.get('scope'), 'openid profile email groups');
    const flow = b.cookie('tshub-oauth-state')!;
    assert.match(flow.attributes, /HttpOnly/);
    assert.match(flow.attributes, /Max-Age=600/);
    assert.doesNotMatch(decodeURIComponent(flow.value), /"state"/, 'the flow cookie is encoded, not plain JSON');
    const done = await b.get(callback.href);
    assert.equal(done.status, 302, done.text);
    assert.equal(done.location, `${h.url}hub/token`);
    assert.equal(b.cookie('tshub-oauth-state'), undefined, 'the flow cookie is spent');
    assert.equal((await b.get('hub/home')).status, 200);
    const user = await h.request('GET', 'hub/api/users/alice');
    assert.equal(user.json.admin, false);
    const [ok] = await audit('action=login.success&target=alice');
    assert.deepEqual(ok.actor, { kind: 'user', name: 'alice', token_id: null });
  });

  test('names are lowercased like every other login', async () => {
    const b = new Browser(h);
    assert.equal((await b.get((await toCallback(b, 'Dave.Mixed')).href)).status, 302);
    assert.equal((await h.request('GET', 'hub/api/users/dave.mixed')).status, 200);
  });

  test("username_map turns the provider's name into the hub's", async () => {
    const b = new Browser(h);
    assert.equal((await b.get((await toCallback(b, 'E.Smith@Corp.Example')).href)).status, 302);
    assert.equal((await h.request('GET', 'hub/api/users/esmith')).status, 200);
    assert.equal((await h.request('GET', 'hub/api/users/e.smith@corp.example')).status, 404);
  });

  test('admin_groups makes an admin, and leaving the group removes admin at the next login', async () => {
    const b = new Browser(h);
    assert.equal((await b.get((await toCallback(b, 'bob')).href)).status, 302);
    assert.equal((await h.request('GET', 'hub/api/users/bob')).json.admin, true);
    const bob = accounts.find((a) => a.sub === 'u-bob')!;
    bob.groups = ['staff'];
    const again = new Browser(h);
    assert.equal((await again.get((await toCallback(again, 'bob')).href)).status, 302);
    assert.equal((await h.request('GET', 'hub/api/users/bob')).json.admin, false);
  });

  test('someone outside allowed_groups gets the 403 page, no session and no user', async () => {
    const b = new Browser(h);
    const r = await b.get((await toCallback(b, 'carol')).href);
    assert.equal(r.status, 403);
    assert.match(r.text, new RegExp(DENIED));
    assert.equal(loggedIn(b), false);
    assert.equal((await h.request('GET', 'hub/api/users/carol')).status, 404);
    const [failure] = await audit('action=login.failure&target=carol');
    assert.equal(failure.outcome, 'denied');
    assert.match(failure.reason, /not in allowed_groups \(groups: students\)/);
  });

  test("a browser (Accept: text/html) gets the refusal on the hub's own page template", async () => {
    const b = new Browser(h);
    const r = await b.get((await toCallback(b, 'carol')).href, { navigate: true });
    assert.equal(r.status, 403);
    assert.match(r.text, new RegExp(DENIED));
    assert.match(r.text, /<link rel="stylesheet" href="[^"]*style\.css/);
    assert.match(r.text, /class="site-header"/);
    assert.equal(loggedIn(b), false);
  });

  test('a tampered state is refused before the code is used', async () => {
    const b = new Browser(h);
    const callback = await toCallback(b, 'alice');
    callback.searchParams.set('state', `${callback.searchParams.get('state')}x`);
    const before = idp.tokenRequests;
    const r = await b.get(callback.href);
    assert.equal(r.status, 400);
    assert.match(r.text, /OAuth state mismatch/);
    assert.equal(idp.tokenRequests, before, 'no code exchange');
    assert.equal(loggedIn(b), false);
    assert.equal(b.cookie('tshub-oauth-state'), undefined, 'a refused callback spends the flow too');
  });

  test('a callback without the flow cookie (another browser) is refused', async () => {
    const b = new Browser(h);
    const callback = await toCallback(b, 'alice');
    const other = new Browser(h);
    const r = await other.get(callback.href);
    assert.equal(r.status, 400);
    assert.match(r.text, /OAuth state missing from cookies/);
    assert.equal(loggedIn(other), false);
  });

  test('a replayed callback (the same code, with the same flow cookie) is refused', async () => {
    const b = new Browser(h);
    const callback = await toCallback(b, 'alice');
    const flow = b.cookie('tshub-oauth-state')!;
    assert.equal((await b.get(callback.href)).status, 302);
    const replay = new Browser(h);
    replay.cookies.push({ ...flow });
    const r = await replay.get(callback.href);
    assert.equal(r.status, 403);
    assert.match(r.text, /refused the code \(invalid_grant/);
    assert.equal(loggedIn(replay), false);
  });

  const refusedIdToken = async (tamper: TestProvider['tamperIdToken'], message: RegExp) => {
    const b = new Browser(h);
    const callback = await toCallback(b, 'alice');
    idp.tamperIdToken = tamper;
    try {
      const r = await b.get(callback.href);
      assert.equal(r.status, 403, r.text);
      assert.match(r.text, message);
    } finally {
      idp.tamperIdToken = null;
    }
    assert.equal(loggedIn(b), false);
  };

  test('an id_token signed with another key is refused', () =>
    refusedIdToken({ forge: true }, /Sign-in with the identity provider failed: .*signature/i));

  test('an id_token for another client (aud) is refused', () =>
    refusedIdToken({ claims: { aud: 'someone-else' } }, /failed: .*aud/i));

  test('an id_token from another issuer (iss) is refused', () =>
    refusedIdToken({ claims: { iss: 'http://127.0.0.1:9/elsewhere' } }, /failed: .*iss/i));

  test('an expired id_token is refused', () => {
    const now = Math.floor(Date.now() / 1000);
    return refusedIdToken({ claims: { iat: now - 7200, exp: now - 3600 } }, /failed: .*exp/i);
  });

  test('an id_token with another nonce (a code injected from another login) is refused', async () => {
    const b = new Browser(h);
    const callback = await toCallback(b, 'alice', { authorize: (u) => u.searchParams.set('nonce', 'x'.repeat(43)) });
    const r = await b.get(callback.href);
    assert.equal(r.status, 403);
    assert.match(r.text, /failed: .*nonce/i);
    assert.equal(loggedIn(b), false);
  });

  test('the provider saying no (error=access_denied) is shown, not a login', async () => {
    const b = new Browser(h);
    await b.get('hub/oauth_login');
    const r = await b.get('hub/oauth_callback?error=access_denied&error_description=User%20cancelled');
    assert.equal(r.status, 400);
    assert.match(r.text, /OAuth error: User cancelled/);
    assert.equal(loggedIn(b), false);
  });

  test("logout ends the hub session, then the provider's (RP-initiated logout)", async () => {
    const b = new Browser(h);
    assert.equal((await b.get((await toCallback(b, 'alice')).href)).status, 302);
    const out = await b.get('hub/logout');
    assert.equal(out.status, 302);
    assert.equal(loggedIn(b), false);
    const end = new URL(out.location!);
    assert.equal(`${end.origin}${end.pathname}`, `${idp.issuer}/session/end`);
    assert.equal(end.searchParams.get('post_logout_redirect_uri'), `${h.url}hub/login`);
    assert.equal(end.searchParams.get('client_id'), idp.clientId);
    // The provider asks to confirm; confirming sends the browser back to the hub's login page.
    const confirm = await b.get(end.href);
    assert.equal(confirm.status, 200, confirm.text);
    const action = new URL(/<form[^>]+action="([^"]+)"/.exec(confirm.text)![1]!, idp.issuer).href;
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.text)![1]!;
    const done = await b.request('POST', action, { form: { xsrf, logout: 'yes' } });
    assert.equal(done.status, 303, done.text);
    const back = await b.get(done.location!);
    assert.equal(back.location ?? `${h.url}hub/login`, `${h.url}hub/login`);
    // The provider's session is gone: signing in again shows its login form.
    const again = await b.get('hub/oauth_login');
    const atProvider = await b.get(again.location!);
    assert.equal(atProvider.status, 303);
    assert.match(atProvider.location!, /\/interaction\//);
    assert.match((await b.get(atProvider.location!)).text, /name="login"/);
  });
});

describe('a plain OAuth 2.0 provider (endpoints, no discovery), with auto_login and logout_redirect_url', () => {
  let h: TestHub;
  let idp: TestProvider;

  before(async () => {
    const hubUrl = `http://127.0.0.1:${await freePort()}/`;
    idp = await startProvider({ redirectUri: `${hubUrl}hub/oauth_callback`, postLogoutRedirectUris: [], accounts });
    h = await startHub({
      bind_url: hubUrl,
      authenticator: {
        class: 'oauth',
        auto_login: true,
        oauth: {
          authorize_url: `${idp.issuer}/auth`,
          token_url: `${idp.issuer}/token`,
          userdata_url: `${idp.issuer}/me`,
          client_id: idp.clientId,
          client_secret: idp.clientSecret,
          scope: ['openid', 'profile', 'groups'],
          allowed_groups: ['staff'],
          logout_redirect_url: 'https://sso.example.org/goodbye',
        },
      },
    });
  });
  after(async () => {
    await h?.stop();
    await idp?.stop();
  });

  test('the login page goes straight to the provider, keeping next', async () => {
    const b = new Browser(h);
    const r = await b.get('hub/login?next=%2Fhub%2Ftoken');
    assert.equal(r.status, 302);
    assert.equal(r.location, `${h.url}hub/oauth_login?next=%2Fhub%2Ftoken`);
  });

  test('logs in with the user data from userdata_url (PKCE, no nonce), then logout goes to logout_redirect_url', async () => {
    const b = new Browser(h);
    const seen: URL[] = [];
    const done = await b.get(
      (await signIn(idp, b, 'alice', { next: '/hub/home', authorize: (u) => seen.push(u) })).href,
    );
    assert.equal(done.status, 302, done.text);
    assert.equal(done.location, `${h.url}hub/home`);
    assert.equal(seen[0]!.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(seen[0]!.searchParams.get('nonce'), null);
    assert.equal((await h.request('GET', 'hub/api/users/alice')).status, 200);
    const out = await b.get('hub/logout');
    assert.equal(out.location, 'https://sso.example.org/goodbye');
    assert.equal(loggedIn(b), false);
  });

  test('allowed_groups holds here too', async () => {
    const b = new Browser(h);
    const r = await b.get((await signIn(idp, b, 'carol')).href);
    assert.equal(r.status, 403);
    assert.equal(loggedIn(b), false);
  });

  test('a provider that stops answering gives a 502 page naming it, not a crash', async () => {
    const b = new Browser(h);
    const callback = await signIn(idp, b, 'alice');
    await idp.stop();
    const r = await b.get(callback.href);
    assert.equal(r.status, 502, r.text);
    assert.match(r.text, /The identity provider is unavailable: .*ECONNREFUSED/);
    assert.equal(loggedIn(b), false);
  });
});
