// The OAuth2 provider end to end: authorize → code → token → /hub/api/user and its error cases. The browser
// login to a real jupyterhub-singleuser (notebook 6) through the proxy: test/oauth-singleuser.test.ts.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { upsertOAuthClient } from '../src/repo/oauth-clients.ts';
import { findUser } from '../src/repo/users.ts';
import { digestToken } from '../src/tokens/format.ts';
import { Browser, type PageReply } from './browser-session.ts';
import { startHub, type TestHub } from './harness.ts';

const SECRET = `x-secret-${randomBytes(8).toString('hex')}`;
const CALLBACK = '/services/x/oauth_callback';
const AUTHORIZE = 'hub/api/oauth2/authorize';

function authorizeUrl(params: Record<string, string>): string {
  return `${AUTHORIZE}?${new URLSearchParams({ response_type: 'code', ...params })}`;
}

function codeOf(r: PageReply, state?: string): string {
  assert.equal(r.status, 302, `expected a redirect with a code, got ${r.status}: ${r.text.slice(0, 300)}`);
  const loc = new URL(r.location!);
  if (state !== undefined) assert.equal(loc.searchParams.get('state'), state);
  const code = loc.searchParams.get('code');
  assert.ok(code, `no code in ${r.location}`);
  return code;
}

describe('OAuth2 provider', () => {
  let h: TestHub;
  let alice: Browser;
  let bob: Browser;
  let carol: Browser;

  const exchange = async (fields: Record<string, string>, headers: Record<string, string> = {}) => {
    const res = await fetch(new URL('hub/api/oauth2/token', h.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(fields).toString(),
    });
    return { status: res.status, headers: res.headers, json: (await res.json()) as any };
  };
  const codeFields = (code: string, extra: Record<string, string> = {}) => ({
    grant_type: 'authorization_code',
    code,
    redirect_uri: CALLBACK,
    client_id: 'service-x',
    client_secret: SECRET,
    ...extra,
  });
  /** Authorizes service-x for `b`, confirming the consent page if one is shown. */
  const codeFor = async (b: Browser, params: Record<string, string> = {}) => {
    const state = randomBytes(6).toString('hex');
    let r = await b.get(authorizeUrl({ client_id: 'service-x', redirect_uri: CALLBACK, state, ...params }));
    if (r.status === 200) {
      const scopes = [...r.text.matchAll(/name="scopes" value="([^"]+)"/g)].map((m) => m[1]!);
      r = await b.request(
        'POST',
        r.location ?? authorizeUrl({ client_id: 'service-x', redirect_uri: CALLBACK, state, ...params }),
        {
          form: { _xsrf: Browser.xsrfField(r.text), scopes, action: 'authorize' },
        },
      );
    }
    return codeOf(r, state);
  };

  before(async () => {
    h = await startHub({
      services: [
        { name: 'x', url: 'http://127.0.0.1:9/' },
        { name: 'trusted', url: 'http://127.0.0.1:9/', oauth_no_confirm: true },
      ],
      load_roles: [
        { name: 'service-users', scopes: ['access:services'], users: ['alice', 'bob'] },
        { name: 'alice-server-guests', scopes: ['access:servers!user=alice'], users: ['bob'] },
      ],
    });
    const { k } = h.hub.ctx;
    // The hub makes clients for services with a url itself; these give them a known secret and scopes.
    const client = (identifier: string, description: string, redirectUri: string, allowedScopes: string[]) =>
      upsertOAuthClient(k, { identifier, description, secretHash: digestToken(SECRET), redirectUri, allowedScopes });
    await client('service-x', 'Service X', CALLBACK, ['read:users:activity!user', 'admin:users']);
    await client('service-trusted', 'Trusted service', '/services/trusted/oauth_callback', []);
    await client('jupyterhub-user-alice', 'Server at /user/alice/', '/user/alice/oauth_callback', []);
    const aliceRow = (await findUser(k, 'alice'))!;
    await k
      .insertInto('spawners')
      .values({
        user_id: aliceRow.id,
        name: '',
        display_name: null,
        state: '{}',
        started: null,
        last_activity: null,
        user_options: '{}',
        server_url: null,
        pending: null,
        oauth_client_id: 'jupyterhub-user-alice',
      })
      .execute();
    alice = new Browser(h);
    bob = new Browser(h);
    carol = new Browser(h);
    await alice.login('alice');
    await bob.login('bob');
    await carol.login('carol');
  });
  after(() => h?.stop());

  test('without a login: to the login page, and back to the authorization after it', async () => {
    const anon = new Browser(h);
    const url = authorizeUrl({ client_id: 'service-x', redirect_uri: CALLBACK, state: 's0' });
    const r = await anon.get(url);
    assert.equal(r.status, 302);
    const loc = new URL(r.location!);
    assert.equal(loc.pathname, '/hub/login');
    assert.equal(loc.searchParams.get('next'), `/${url}`);
    const back = await anon.login('alice', 'pw', loc.searchParams.get('next')!);
    assert.equal(back.status, 302);
    assert.equal(new URL(back.location!).pathname + new URL(back.location!).search, `/${url}`);
  });

  test('consent, code, token, then /hub/api/user with the access token', async () => {
    const state = 'state-1';
    const page = await alice.get(authorizeUrl({ client_id: 'service-x', redirect_uri: CALLBACK, state }));
    assert.equal(page.status, 200, page.text);
    assert.match(page.text, /<strong>Service X<\/strong> would like permission/);
    assert.match(page.text, /name="scopes" value="read:users:activity!user"/);
    assert.equal(page.headers.get('cache-control'), 'no-store');
    const form = {
      _xsrf: Browser.xsrfField(page.text),
      scopes: ['read:users:activity!user', 'admin:users'],
      action: 'authorize',
    };
    const forged = await alice.request(
      'POST',
      authorizeUrl({ client_id: 'service-x', redirect_uri: CALLBACK, state }),
      { form: { ...form, _xsrf: 'nope' } },
    );
    assert.equal(forged.status, 403, 'the consent form needs the XSRF token');
    assert.equal(forged.location, null);
    const code = codeOf(
      await alice.request('POST', authorizeUrl({ client_id: 'service-x', redirect_uri: CALLBACK, state }), { form }),
      state,
    );
    assert.equal(
      new URL(
        (await alice.request('POST', authorizeUrl({ client_id: 'service-x', redirect_uri: CALLBACK, state }), { form }))
          .location!,
      ).pathname,
      CALLBACK,
    );

    const t = await exchange(codeFields(code));
    assert.equal(t.status, 200, JSON.stringify(t.json));
    assert.equal(t.headers.get('cache-control'), 'no-store');
    assert.equal(t.json.token_type, 'Bearer');
    assert.equal(t.json.expires_in, h.hub.ctx.config.oauth_token_expires_in);
    const scopes: string[] = t.json.scope.split(' ');
    for (const s of [
      'read:users:name!user=alice',
      'read:users:groups!user=alice',
      'access:services!service=x',
      'read:users:activity!user=alice',
    ]) {
      assert.ok(scopes.includes(s), `${s} in ${t.json.scope}`);
    }
    assert.ok(!scopes.includes('admin:users'), 'never more than the user holds');

    const me = await h.request('GET', 'hub/api/user', {
      token: null,
      headers: { authorization: `Bearer ${t.json.access_token}` },
    });
    assert.equal(me.status, 200);
    assert.equal(me.json.name, 'alice');
    assert.match(me.json.token_id, /^a\d+$/);
    assert.ok(me.json.scopes.includes('access:services!service=x'));
    assert.ok(me.json.scopes.includes('read:users:name!user=alice'));
    assert.equal(
      me.json.session_id,
      alice.cookie('jupyterhub-session-id')!.value,
      'the token belongs to the browser session',
    );
  });

  test('the same scopes again need no confirmation; an oauth_no_confirm service never does', async () => {
    const r = await alice.get(authorizeUrl({ client_id: 'service-x', redirect_uri: CALLBACK, state: 'again' }));
    codeOf(r, 'again');
    const trusted = await bob.get(
      authorizeUrl({ client_id: 'service-trusted', redirect_uri: '/services/trusted/oauth_callback', state: 't' }),
    );
    assert.equal(new URL(trusted.location!).pathname, '/services/trusted/oauth_callback');
    codeOf(trusted, 't');
  });

  test('deny, or untick every scope', async () => {
    const url = authorizeUrl({ client_id: 'service-x', redirect_uri: CALLBACK, state: 'd' });
    const page = await bob.get(url);
    assert.equal(page.status, 200);
    const denied = await bob.request('POST', url, { form: { _xsrf: Browser.xsrfField(page.text), action: 'deny' } });
    assert.equal(denied.status, 302);
    const loc = new URL(denied.location!);
    assert.equal(loc.pathname, CALLBACK);
    assert.equal(loc.searchParams.get('error'), 'access_denied');
    assert.equal(loc.searchParams.get('state'), 'd');
    assert.equal(loc.searchParams.get('code'), null);
    const none = codeOf(
      await bob.request('POST', url, { form: { _xsrf: Browser.xsrfField(page.text), action: 'authorize' } }),
      'd',
    );
    const t = await exchange(codeFields(none));
    assert.deepEqual(t.json.scope.split(' ').sort(), [
      'access:services!service=x',
      'read:users:groups!user=bob',
      'read:users:name!user=bob',
    ]);
  });

  test('scopes the client may not ask for are dropped', async () => {
    const code = await codeFor(alice, { scope: 'read:hub read:users:activity!user=alice' });
    const t = await exchange(codeFields(code));
    const scopes: string[] = t.json.scope.split(' ');
    assert.ok(!scopes.includes('read:hub'));
    assert.ok(scopes.includes('read:users:activity!user=alice'));
  });

  test('PKCE: S256 and plain; a wrong or missing verifier is invalid_grant', async () => {
    const verifier = randomBytes(48).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const s256 = { code_challenge: challenge, code_challenge_method: 'S256' };
    const wrong = await exchange(
      codeFields(await codeFor(alice, s256), { code_verifier: randomBytes(48).toString('base64url') }),
    );
    assert.equal(wrong.status, 400);
    assert.equal(wrong.json.error, 'invalid_grant');
    const missing = await exchange(codeFields(await codeFor(alice, s256)));
    assert.equal(missing.json.error, 'invalid_grant');
    const right = await exchange(codeFields(await codeFor(alice, s256), { code_verifier: verifier }));
    assert.equal(right.status, 200, JSON.stringify(right.json));
    const plain = await exchange(
      codeFields(await codeFor(alice, { code_challenge: verifier }), { code_verifier: verifier }),
    );
    assert.equal(plain.status, 200);
    const unasked = await exchange(codeFields(await codeFor(alice), { code_verifier: verifier }));
    assert.equal(unasked.json.error, 'invalid_grant', 'a verifier for a code issued without a challenge');
    const badMethod = await alice.get(
      authorizeUrl({
        client_id: 'service-x',
        redirect_uri: CALLBACK,
        state: 'm',
        code_challenge: challenge,
        code_challenge_method: 'S512',
      }),
    );
    assert.equal(new URL(badMethod.location!).searchParams.get('error'), 'invalid_request');
  });

  test('a code works once; an expired one not at all', async () => {
    const code = await codeFor(alice);
    assert.equal((await exchange(codeFields(code))).status, 200);
    const reused = await exchange(codeFields(code));
    assert.equal(reused.status, 400);
    assert.equal(reused.json.error, 'invalid_grant');
    const old = await codeFor(alice);
    await h.hub.ctx.k
      .updateTable('oauth_codes')
      .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
      .execute();
    const expired = await exchange(codeFields(old));
    assert.equal(expired.status, 400);
    assert.equal(expired.json.error, 'invalid_grant');
  });

  test('client authentication: a wrong secret or unknown client is invalid_client; HTTP Basic works', async () => {
    const code = await codeFor(alice);
    const wrong = await exchange(codeFields(code, { client_secret: `${SECRET}x` }));
    assert.equal(wrong.status, 401);
    assert.equal(wrong.json.error, 'invalid_client');
    assert.match(wrong.headers.get('www-authenticate')!, /^Basic/);
    const unknown = await exchange(codeFields(code, { client_id: 'service-nobody' }));
    assert.equal(unknown.json.error, 'invalid_client');
    const { client_id: _id, client_secret: _secret, ...rest } = codeFields(code);
    const basic = await exchange(rest, {
      authorization: `Basic ${Buffer.from(`service-x:${SECRET}`).toString('base64')}`,
    });
    assert.equal(
      basic.status,
      200,
      'the code survived the failed attempts, which never got past client authentication',
    );
    const grant = await exchange(codeFields(await codeFor(alice), { grant_type: 'password' }));
    assert.equal(grant.json.error, 'unsupported_grant_type');
    const noCode = await exchange(codeFields(''));
    assert.equal(noCode.json.error, 'invalid_request');
  });

  test('redirect URIs must match exactly; unknown clients get an error page, never a redirect', async () => {
    const code = await codeFor(alice);
    const t = await exchange(codeFields(code, { redirect_uri: `${CALLBACK}/other` }));
    assert.equal(t.json.error, 'invalid_grant');
    const cases: Record<string, string>[] = [
      { client_id: 'service-x', redirect_uri: 'https://evil.example/cb' },
      { client_id: 'service-nobody', redirect_uri: CALLBACK },
      { redirect_uri: CALLBACK },
    ];
    for (const params of cases) {
      const r = await alice.get(authorizeUrl({ state: 'e', ...params }));
      assert.equal(r.status, 400, JSON.stringify(params));
      assert.equal(r.location, null);
      assert.match(r.headers.get('content-type')!, /text\/html/);
    }
    const unsupported = await alice.get(
      `${AUTHORIZE}?${new URLSearchParams({ client_id: 'service-x', redirect_uri: CALLBACK, response_type: 'token', state: 'u' })}`,
    );
    assert.equal(unsupported.status, 302);
    const loc = new URL(unsupported.location!);
    assert.equal(loc.pathname, CALLBACK);
    assert.equal(loc.searchParams.get('error'), 'unsupported_response_type');
    assert.equal(loc.searchParams.get('state'), 'u');
  });

  test('a user without access to the service or server gets 403', async () => {
    const r = await carol.get(authorizeUrl({ client_id: 'service-x', redirect_uri: CALLBACK, state: 'c' }));
    assert.equal(r.status, 403);
    assert.match(r.text, /You do not have permission to access Service X/);
    const server = await carol.get(
      authorizeUrl({ client_id: 'jupyterhub-user-alice', redirect_uri: '/user/alice/oauth_callback', state: 'c' }),
    );
    assert.equal(server.status, 403);
  });

  test('servers: the owner skips the consent page; another user with access is asked', async () => {
    const params = { client_id: 'jupyterhub-user-alice', redirect_uri: '/user/alice/oauth_callback', state: 'srv' };
    const own = await alice.get(authorizeUrl(params));
    assert.equal(new URL(own.location!).pathname, '/user/alice/oauth_callback');
    codeOf(own, 'srv');
    const guest = await bob.get(authorizeUrl(params));
    assert.equal(guest.status, 200);
    assert.match(guest.text, /Server at \/user\/alice\//);
  });

  test('logging out revokes the OAuth tokens of that browser session', async () => {
    const b = new Browser(h);
    await b.login('alice');
    const t = await exchange(codeFields(await codeFor(b)));
    const auth = { authorization: `Bearer ${t.json.access_token}` };
    assert.equal((await h.request('GET', 'hub/api/user', { token: null, headers: auth })).status, 200);
    await b.get('hub/logout');
    assert.equal((await h.request('GET', 'hub/api/user', { token: null, headers: auth })).status, 403);
  });
});
