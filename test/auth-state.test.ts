// auth_state against a real OpenID provider (test/oidc-provider.ts): the provider's tokens stored
// encrypted at a login (the raw column is ciphertext), shown to admin:auth_state only, renewed with the
// refresh-token grant once auth_refresh_age has passed, a revoked grant ending the session (also before a
// spawn with refresh_pre_spawn), manage_groups syncing memberships, and unreadable rows handled.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Hub } from '../src/app.ts';
import { CryptKeeper } from '../src/auth/auth-state/index.ts';
import { buildConfig } from '../src/config/index.ts';
import { createLogger } from '../src/lib/logger.ts';
import { Browser } from './browser-session.ts';
import { startHub, type TestHub } from './harness.ts';
import { startInProcessHub } from './inprocess.ts';
import { type Account, startProvider, type TestProvider, throughProvider } from './oidc-provider.ts';
import { freePort } from './process.ts';

const KEY_A = 'a1'.repeat(32);
const KEY_B = Buffer.alloc(32, 0xb2).toString('base64');

const accounts: Account[] = [
  { sub: 'u-alice', preferred_username: 'alice', password: 'alice-pw', groups: ['staff', 'physics'] },
  { sub: 'u-bob', preferred_username: 'bob', password: 'bob-pw', groups: ['staff'] },
];
const account = (name: string) => accounts.find((a) => a.preferred_username === name)!;

/** Through the provider's login form (skipped while its session lasts) and back into the hub's callback. */
async function logIn(idp: TestProvider, b: Browser, login: string): Promise<void> {
  const callback = await throughProvider(idp, b, await b.get('hub/oauth_login'), login, account(login).password);
  const r = await b.get(callback.href);
  if (!r.location?.startsWith(`${b.h.url}hub/spawn`))
    throw new Error(`login answered ${r.status}: ${r.text.slice(0, 300)}`);
}

function setKey(value: string | undefined): void {
  if (value === undefined) delete process.env.JUPYTERHUB_CRYPT_KEY;
  else process.env.JUPYTERHUB_CRYPT_KEY = value;
}

/** The test harness gives every hub a key when none is set: an empty value is how a test has none. */
async function withEnv<T>(value: string | undefined, run: () => Promise<T>): Promise<T> {
  const saved = process.env.JUPYTERHUB_CRYPT_KEY;
  setKey(value);
  try {
    return await run();
  } finally {
    setKey(saved);
  }
}

describe('enable_auth_state needs JUPYTERHUB_CRYPT_KEY', () => {
  for (const [label, value, message] of [
    ['unset', '', /auth_state is enabled, but encryption is not available: .*JUPYTERHUB_CRYPT_KEY/],
    ['not a key', 'short', /Encryption keys must be 32 bytes, hex or base64-encoded/],
  ] as const)
    test(`the hub refuses to start with the key ${label}`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'tshub-authstate-'));
      try {
        const config = buildConfig({
          db_url: `sqlite:///${join(dir, 'hub.sqlite')}`,
          authenticator: { enable_auth_state: true },
        });
        const log = createLogger('error');
        await withEnv(value, () =>
          assert.rejects(Hub.create({ config, baseDir: dir, log }), (err: Error) => {
            assert.equal(err.name, 'StartupError');
            assert.match(err.message, message);
            return true;
          }),
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

  test('without a key the API stores no auth_state and says why; clearing it still works', async () => {
    const h = await withEnv('', () => startInProcessHub());
    try {
      await h.addUsers(['ann']);
      const r = await h.request('PATCH', 'hub/api/users/ann', { body: { auth_state: { secret: 'x' }, admin: true } });
      assert.equal(r.status, 400, r.text);
      assert.match(
        r.json.message,
        /auth_state cannot be stored: Encryption keys must be specified in JUPYTERHUB_CRYPT_KEY env/,
      );
      assert.equal(r.json.reason, 'auth_state_unavailable');
      const ann = await h.request('GET', 'hub/api/users/ann');
      assert.equal(ann.json.admin, false, 'nothing of the refused PATCH was applied');
      assert.equal(ann.json.auth_state, null);
      assert.equal((await h.request('PATCH', 'hub/api/users/ann', { body: { auth_state: null } })).status, 200);
    } finally {
      await h.stop();
    }
  });
});

describe('auth_state from an OpenID provider', () => {
  let h: TestHub;
  let idp: TestProvider;
  const saved = process.env.JUPYTERHUB_CRYPT_KEY;

  before(async () => {
    process.env.JUPYTERHUB_CRYPT_KEY = KEY_A;
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
        enable_auth_state: true,
        manage_groups: true,
        refresh_pre_spawn: true,
        oauth: {
          oidc_issuer: idp.issuer,
          client_id: idp.clientId,
          client_secret: idp.clientSecret,
          scope: ['openid', 'profile', 'email', 'groups'],
          admin_groups: ['hub-admins'],
        },
      },
    });
  });
  after(async () => {
    await h?.stop();
    await idp?.stop();
    setKey(saved);
  });

  const rawAuthState = async (name: string) =>
    await h.hub.ctx.k
      .selectFrom('users')
      .select(['id', 'auth_state'])
      .where('name', '=', name)
      .executeTakeFirstOrThrow();
  const stored = async (name: string) =>
    new CryptKeeper([Buffer.from(KEY_A, 'hex')]).decrypt((await rawAuthState(name)).auth_state!) as Record<string, any>;
  const makeStale = async (name: string) => h.hub.ctx.authRefresh.forget((await rawAuthState(name)).id);
  const home = (b: Browser) => b.get('hub/home');

  test('a login stores the tokens and user data encrypted: the column is Fernet ciphertext', async () => {
    await logIn(idp, new Browser(h), 'alice');
    const raw = (await rawAuthState('alice')).auth_state!;
    assert.match(raw, /^gAAAAA[A-Za-z0-9_-]+=*$/);
    for (const plain of ['access_token', 'oauth_user', 'physics', 'u-alice'])
      assert.ok(!Buffer.from(raw, 'base64url').toString('latin1').includes(plain), plain);
    const state = await stored('alice');
    assert.deepEqual(Object.keys(state).sort(), [
      'access_token',
      'id_token',
      'oauth_user',
      'refresh_token',
      'scope',
      'token_response',
    ]);
    assert.ok(state.refresh_token.length > 10);
    assert.equal(state.id_token.split('.').length, 3);
    assert.deepEqual(state.oauth_user.groups, ['staff', 'physics']);
    assert.equal(state.token_response.access_token, state.access_token);
  });

  test('GET /users/{name} shows it with admin:auth_state only; PATCH writes it encrypted', async () => {
    const admin = await h.request('GET', 'hub/api/users/alice');
    assert.equal(admin.status, 200);
    assert.equal(admin.json.auth_state.oauth_user.preferred_username, 'alice');
    const own = await h.request('GET', 'hub/api/users/alice', { token: await h.tokenFor('alice') });
    assert.equal(own.status, 200);
    assert.ok(!('auth_state' in own.json));
    const set = await h.request('PATCH', 'hub/api/users/bob', { body: { auth_state: { note: 'set by the API' } } });
    assert.equal(set.status, 404, 'bob has not logged in yet');
    await h.addUsers(['carl']);
    const patched = await h.request('PATCH', 'hub/api/users/carl', { body: { auth_state: { note: 'by the API' } } });
    assert.deepEqual(patched.json.auth_state, { note: 'by the API' });
    assert.match((await rawAuthState('carl')).auth_state!, /^gAAAAA/);
    assert.deepEqual(await stored('carl'), { note: 'by the API' });
  });

  test('manage_groups: the provider groups become memberships at each login, added and removed', async () => {
    const members = async (group: string) => (await h.request('GET', `hub/api/groups/${group}`)).json.users ?? [];
    assert.deepEqual(await members('physics'), ['alice']);
    assert.deepEqual(await members('staff'), ['alice']);
    account('alice').groups = ['staff', 'chemistry'];
    await logIn(idp, new Browser(h), 'alice');
    assert.deepEqual((await h.request('GET', 'hub/api/users/alice')).json.groups, ['chemistry', 'staff']);
    assert.deepEqual(await members('physics'), []);
    await h.hub.ctx.audit.flush();
    const events = (await h.request('GET', 'hub/api/audit?target=physics')).json as { action: string }[];
    assert.deepEqual(events.map((e) => e.action).sort(), ['group.create', 'group.remove_members']);
  });

  test('past auth_refresh_age a request renews the tokens with the refresh-token grant', async () => {
    const b = new Browser(h);
    await logIn(idp, b, 'bob');
    const before = await stored('bob');
    const grants = idp.tokenRequests;
    await makeStale('bob');
    assert.equal((await home(b)).status, 200);
    assert.equal(idp.tokenRequests, grants + 1);
    const after = await stored('bob');
    assert.notEqual(after.access_token, before.access_token);
    assert.deepEqual(after.oauth_user.groups, ['staff']);
    // Fresh again: the next request does not ask the provider.
    assert.equal((await home(b)).status, 200);
    assert.equal(idp.tokenRequests, grants + 1);
  });

  test('a refresh also brings groups and admin_groups up to date', async () => {
    const b = new Browser(h);
    await logIn(idp, b, 'bob');
    account('bob').groups = ['staff', 'hub-admins'];
    await makeStale('bob');
    assert.equal((await home(b)).status, 200);
    const bob = (await h.request('GET', 'hub/api/users/bob')).json;
    assert.deepEqual([bob.admin, bob.groups], [true, ['hub-admins', 'staff']]);
    account('bob').groups = ['staff'];
    await makeStale('bob');
    assert.equal((await home(b)).status, 200);
    const after = (await h.request('GET', 'hub/api/users/bob')).json;
    assert.deepEqual([after.admin, after.groups], [false, ['staff']]);
  });

  test('a revoked refresh token ends the session: the next request goes to the login page', async () => {
    const b = new Browser(h);
    await logIn(idp, b, 'bob');
    const { refresh_token } = await stored('bob');
    const revoke = await fetch(`${idp.issuer}/token/revocation`, {
      method: 'POST',
      body: new URLSearchParams({ token: refresh_token, client_id: idp.clientId, client_secret: idp.clientSecret }),
    });
    assert.equal(revoke.status, 200);
    await makeStale('bob');
    const r = await home(b);
    assert.equal(r.status, 302);
    assert.match(r.location!, /\/hub\/login/);
    assert.equal((await home(b)).status, 302, 'the session stays ended');
    assert.ok(h.logs.some((l) => l.includes('Login is required to refresh')));
  });

  test('refresh_pre_spawn: a start asks the provider first, however fresh the login', async () => {
    const b = new Browser(h);
    await logIn(idp, b, 'alice');
    const token = await h.tokenFor('alice');
    const before = (await stored('alice')).access_token;
    const grants = idp.tokenRequests;
    const r = await h.request('POST', 'hub/api/users/alice/server', { token });
    assert.ok([201, 202].includes(r.status), r.text);
    assert.equal(idp.tokenRequests, grants + 1);
    assert.notEqual((await stored('alice')).access_token, before);
    const stop = await h.request('DELETE', 'hub/api/users/alice/server', { token });
    assert.ok([202, 204].includes(stop.status), stop.text);
  });

  test('refresh_pre_spawn: a refused refresh stops the spawn with 403 and ends the login', async () => {
    const b = new Browser(h);
    await logIn(idp, b, 'bob');
    const token = await h.tokenFor('bob');
    const { refresh_token } = await stored('bob');
    await fetch(`${idp.issuer}/token/revocation`, {
      method: 'POST',
      body: new URLSearchParams({ token: refresh_token, client_id: idp.clientId, client_secret: idp.clientSecret }),
    });
    const r = await h.request('POST', 'hub/api/users/bob/server', { token });
    assert.equal(r.status, 403, r.text);
    assert.equal(r.json.message, 'auth has expired for bob, login again');
    assert.equal(r.json.reason, 'auth_expired');
    assert.equal((await home(b)).status, 302);
  });

  test('logout sends the stored id_token as id_token_hint', async () => {
    const b = new Browser(h);
    await logIn(idp, b, 'alice');
    const { id_token } = await stored('alice');
    const out = await b.get('hub/logout');
    assert.equal(new URL(out.location!).searchParams.get('id_token_hint'), id_token);
  });

  test('key rotation: with a new key first, an old row still reads and is written again with the new key', async () => {
    const ctx = h.hub.ctx;
    const old = ctx.crypt;
    ctx.crypt = new CryptKeeper([Buffer.from(KEY_B, 'base64'), Buffer.from(KEY_A, 'hex')]);
    try {
      const r = await h.request('GET', 'hub/api/users/alice');
      assert.equal(r.json.auth_state.oauth_user.preferred_username, 'alice');
      const raw = (await rawAuthState('alice')).auth_state!;
      assert.throws(() => new CryptKeeper([Buffer.from(KEY_A, 'hex')]).decrypt(raw));
      assert.equal((new CryptKeeper([Buffer.from(KEY_B, 'base64')]).decrypt(raw) as any).oauth_user.sub, 'u-alice');
    } finally {
      ctx.crypt = old;
    }
    // Only the new key's row now: the old key alone reads nothing, and says so in the log.
    const r = await h.request('GET', 'hub/api/users/alice');
    assert.equal(r.status, 200);
    assert.equal(r.json.auth_state, null);
  });

  test('an altered ciphertext is no auth_state and a warning, never a 500', async () => {
    const { auth_state } = await rawAuthState('carl');
    const altered = `${auth_state!.slice(0, 30)}${auth_state![30] === 'A' ? 'B' : 'A'}${auth_state!.slice(31)}`;
    await h.hub.ctx.k.updateTable('users').set({ auth_state: altered }).where('name', '=', 'carl').execute();
    const r = await h.request('GET', 'hub/api/users/carl');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.auth_state, null);
    assert.ok(h.logs.some((l) => l.includes('Failed to retrieve encrypted auth_state') && l.includes('carl')));
  });
});
