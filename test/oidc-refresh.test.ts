// What reaches a server from the login, against a real OpenID provider (test/oidc-provider.ts) and the fake
// single-user server (which answers with its environment): auth_state_hook gets the decrypted auth_state
// after refresh_pre_spawn and can hand the fresh access token to the server; refresh_pre_stop asks the
// provider before a stop; API requests with a user's token are refreshed past auth_refresh_age too.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CryptKeeper } from '../src/auth/auth-state/index.ts';
import type { ConfigInput } from '../src/config/index.ts';
import type { SpawnRequest } from '../src/spawners/index.ts';
import { fakeServerCmd, tempDir } from '../src/spawners/test-helpers.ts';
import { Browser } from './browser-session.ts';
import { startHub, type TestHub } from './harness.ts';
import { type Account, startProvider, type TestProvider, throughProvider } from './oidc-provider.ts';
import { freePort } from './process.ts';

const KEY = 'c3'.repeat(32);
const accounts: Account[] = [
  { sub: 'u-alice', preferred_username: 'alice', password: 'alice-pw', groups: ['staff'] },
  { sub: 'u-bob', preferred_username: 'bob', password: 'bob-pw', groups: ['staff'] },
  { sub: 'u-carol', preferred_username: 'carol', password: 'carol-pw', groups: ['staff'] },
];

async function logIn(idp: TestProvider, h: TestHub, login: string): Promise<Browser> {
  const b = new Browser(h);
  const password = accounts.find((a) => a.preferred_username === login)!.password;
  const callback = await throughProvider(idp, b, await b.get('hub/oauth_login'), login, password);
  const r = await b.get(callback.href);
  if (!r.location?.startsWith(`${h.url}hub/spawn`))
    throw new Error(`login answered ${r.status}: ${r.text.slice(0, 300)}`);
  return b;
}

describe('auth_state and refresh around servers', () => {
  let h: TestHub;
  let idp: TestProvider;
  const saved = process.env.JUPYTERHUB_CRYPT_KEY;
  /** What the hooks saw, in order. */
  const seen: string[] = [];

  before(async () => {
    process.env.JUPYTERHUB_CRYPT_KEY = KEY;
    const hubUrl = `http://127.0.0.1:${await freePort()}/`;
    idp = await startProvider({ redirectUri: `${hubUrl}hub/oauth_callback`, postLogoutRedirectUris: [], accounts });
    const spawner = {
      cmd: fakeServerCmd(tempDir('tshub-oidc-refresh-')),
      // As upstream users do: the provider's access token into the server's environment.
      auth_state_hook: (req: SpawnRequest, authState: Record<string, any> | null) => {
        seen.push(`auth_state ${req.user.name} ${authState ? authState.oauth_user.sub : 'null'}`);
        if (authState) req.env.OAUTH_ACCESS_TOKEN = authState.access_token;
        // The hook's copy: changing it changes nothing stored.
        if (authState) authState.access_token = 'changed by the hook';
      },
      post_stop_hook: (req: SpawnRequest) => void seen.push(`post_stop ${req.user.name}`),
    };
    h = await startHub({
      bind_url: hubUrl,
      spawner,
      authenticator: {
        class: 'oauth',
        allow_all: true,
        enable_auth_state: true,
        refresh_pre_spawn: true,
        refresh_pre_stop: true,
        oauth: {
          oidc_issuer: idp.issuer,
          client_id: idp.clientId,
          client_secret: idp.clientSecret,
          scope: ['openid', 'profile', 'groups'],
        },
      },
    } as ConfigInput);
  });
  after(async () => {
    await h?.stop();
    await idp?.stop();
    if (saved === undefined) delete process.env.JUPYTERHUB_CRYPT_KEY;
    else process.env.JUPYTERHUB_CRYPT_KEY = saved;
  });

  const userRow = (name: string) =>
    h.hub.ctx.k.selectFrom('users').select(['id', 'auth_state']).where('name', '=', name).executeTakeFirstOrThrow();
  const stored = async (name: string) =>
    new CryptKeeper([Buffer.from(KEY, 'hex')]).decrypt((await userRow(name)).auth_state!) as Record<string, any>;
  const makeStale = async (name: string) => h.hub.ctx.authRefresh.forget((await userRow(name)).id);
  const revoke = async (name: string) => {
    const body = {
      token: (await stored(name)).refresh_token,
      client_id: idp.clientId,
      client_secret: idp.clientSecret,
    };
    const r = await fetch(`${idp.issuer}/token/revocation`, { method: 'POST', body: new URLSearchParams(body) });
    assert.equal(r.status, 200);
  };
  const serverEnv = async (name: string) => {
    const r = await fetch(new URL(`user/${name}/api`, h.url), { signal: AbortSignal.timeout(10_000) });
    assert.equal(r.status, 200);
    return ((await r.json()) as { env: Record<string, string> }).env;
  };

  test('auth_state_hook gets the decrypted auth_state after refresh_pre_spawn: the server has the fresh access token', async () => {
    await logIn(idp, h, 'alice');
    const atLogin = (await stored('alice')).access_token;
    const token = await h.tokenFor('alice');
    const grants = idp.tokenRequests;
    assert.equal((await h.request('POST', 'hub/api/users/alice/server', { token })).status, 201);
    assert.equal(idp.tokenRequests, grants + 1, 'refresh_pre_spawn asked the provider');
    const fresh = (await stored('alice')).access_token;
    assert.notEqual(fresh, atLogin);
    assert.equal((await serverEnv('alice')).OAUTH_ACCESS_TOKEN, fresh);
    assert.ok(seen.includes('auth_state alice u-alice'));
    assert.equal((await stored('alice')).access_token, fresh, "the hook's changes stay in its copy");
  });

  test('refresh_pre_spawn: a user who never logged in through the provider has no login to refresh: no start, no hook', async () => {
    await h.addUsers(['dave']);
    const r = await h.request('POST', 'hub/api/users/dave/server');
    assert.equal(r.status, 403, r.text);
    assert.equal(r.json.reason, 'auth_expired');
    assert.ok(!seen.some((s) => s.startsWith('auth_state dave')));
  });

  test('refresh_pre_stop: the stop asks the provider first, then post_stop_hook runs', async () => {
    const token = await h.tokenFor('alice');
    const grants = idp.tokenRequests;
    assert.equal((await h.request('DELETE', 'hub/api/users/alice/server', { token })).status, 204);
    assert.equal(idp.tokenRequests, grants + 1);
    assert.equal(seen.at(-1), 'post_stop alice');
    // Stopping a stopped server asks nothing.
    assert.equal((await h.request('DELETE', 'hub/api/users/alice/server', { token })).status, 204);
    assert.equal(idp.tokenRequests, grants + 1);
  });

  test("refresh_pre_stop: a refused refresh stops the user's own request with 403 and ends the login; an admin's stop goes ahead", async () => {
    const b = await logIn(idp, h, 'bob');
    const token = await h.tokenFor('bob');
    assert.equal((await h.request('POST', 'hub/api/users/bob/server', { token })).status, 201);
    await revoke('bob');
    const own = await h.request('DELETE', 'hub/api/users/bob/server', { token });
    assert.equal(own.status, 403, own.text);
    assert.deepEqual([own.json.message, own.json.reason], ['auth has expired for bob, login again', 'auth_expired']);
    assert.equal((await serverEnv('bob')).JUPYTERHUB_USER, 'bob', 'the server still runs');
    assert.equal((await b.get('hub/home')).status, 302, 'the browser login ended');
    const admin = await h.request('DELETE', 'hub/api/users/bob/server');
    assert.equal(admin.status, 204, admin.text);
    assert.equal(seen.at(-1), 'post_stop bob');
    assert.ok(h.logs.some((l) => l.includes('Stopping anyway') && l.includes('bob')));
  });

  test('past auth_refresh_age a request with the user’s token renews the login too: the stored access token is the new one', async () => {
    await logIn(idp, h, 'carol');
    const token = await h.tokenFor('carol');
    const before = (await stored('carol')).access_token;
    const grants = idp.tokenRequests;
    await makeStale('carol');
    const r = await h.request('GET', 'hub/api/user', { token });
    assert.equal(r.status, 200, r.text);
    assert.equal(idp.tokenRequests, grants + 1);
    const renewed = (await stored('carol')).access_token;
    assert.notEqual(renewed, before);
    const model = await h.request('GET', 'hub/api/users/carol');
    assert.equal(model.json.auth_state.access_token, renewed);
    assert.equal((await h.request('GET', 'hub/api/user', { token })).status, 200);
    assert.equal(idp.tokenRequests, grants + 1, 'fresh again: no second provider call');
  });

  test('a refused refresh makes a token request anonymous (403 auth_expired); a user without auth_state keeps their tokens', async () => {
    const token = await h.tokenFor('carol');
    await revoke('carol');
    await makeStale('carol');
    const r = await h.request('GET', 'hub/api/user', { token });
    assert.equal(r.status, 403, r.text);
    assert.deepEqual([r.json.message, r.json.reason], ['Missing or invalid credentials.', 'auth_expired']);
    // The admin of the test hub was made through the API: nothing to refresh with, never refused.
    const admin = await h.request('GET', 'hub/api/user');
    assert.equal(admin.status, 200, admin.text);
  });
});
