// manage_roles against a real OpenID provider (test/oidc-provider.ts) whose userinfo carries a `roles`
// claim: the provider's role names replace the user's direct roles at each login and refresh, a role the
// hub lacks is created without scopes, load_roles gives roles their scopes, the default roles stay the
// hub's, and the start-up role sync neither strips nor deletes what the provider assigned.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Hub } from '../src/app.ts';
import { SYSTEM_CALLER } from '../src/commands/deps.ts';
import { syncRoles } from '../src/commands/roles/index.ts';
import { buildConfig } from '../src/config/index.ts';
import { createLogger } from '../src/lib/logger.ts';
import { Browser } from './browser-session.ts';
import { startHub, type TestHub } from './harness.ts';
import { type Account, startProvider, type TestProvider, throughProvider } from './oidc-provider.ts';
import { freePort } from './process.ts';

const accounts: Account[] = [
  { sub: 'u-ana', preferred_username: 'ana', password: 'ana-pw', roles: ['analyst', 'data-team'] },
  { sub: 'u-ben', preferred_username: 'ben', password: 'ben-pw', roles: ['admin', 'Not A Role', 'data-team'] },
];
const account = (name: string) => accounts.find((a) => a.preferred_username === name)!;

describe('manage_roles: roles from the identity provider', () => {
  let h: TestHub;
  let idp: TestProvider;
  const saved = process.env.JUPYTERHUB_CRYPT_KEY;

  before(async () => {
    process.env.JUPYTERHUB_CRYPT_KEY = 'd4'.repeat(32);
    const hubUrl = `http://127.0.0.1:${await freePort()}/`;
    idp = await startProvider({
      redirectUri: `${hubUrl}hub/oauth_callback`,
      postLogoutRedirectUris: [],
      accounts,
      claims: { openid: ['sub'], profile: ['preferred_username'], groups: ['roles'] },
    });
    h = await startHub({
      bind_url: hubUrl,
      redirect_to_server: false,
      load_roles: [{ name: 'analyst', scopes: ['list:users', 'read:users:name'] }],
      authenticator: {
        class: 'oauth',
        allow_all: true,
        enable_auth_state: true,
        manage_roles: true,
        oauth: {
          oidc_issuer: idp.issuer,
          client_id: idp.clientId,
          client_secret: idp.clientSecret,
          scope: ['openid', 'profile', 'groups'],
          auth_state_roles_key: 'oauth_user.roles',
        },
      },
    });
  });
  after(async () => {
    await h?.stop();
    await idp?.stop();
    if (saved === undefined) delete process.env.JUPYTERHUB_CRYPT_KEY;
    else process.env.JUPYTERHUB_CRYPT_KEY = saved;
  });

  async function logIn(login: string): Promise<Browser> {
    const b = new Browser(h);
    const callback = await throughProvider(idp, b, await b.get('hub/oauth_login'), login, account(login).password);
    const r = await b.get(callback.href);
    assert.match(r.location ?? '', /\/hub\/home$/, r.text);
    return b;
  }
  const rolesOf = async (name: string) => (await h.request('GET', `hub/api/users/${name}`)).json.roles.sort();
  const userId = async (name: string) =>
    (await h.hub.ctx.k.selectFrom('users').select('id').where('name', '=', name).executeTakeFirstOrThrow()).id;

  test("a login grants the provider's roles: a configured role with its scopes, an unknown one created without", async () => {
    await logIn('ana');
    assert.deepEqual(await rolesOf('ana'), ['analyst', 'data-team', 'user']);
    const created = await h.hub.ctx.k
      .selectFrom('roles')
      .selectAll()
      .where('name', '=', 'data-team')
      .executeTakeFirst();
    assert.equal(created?.scopes, '[]');
    const token = await h.tokenFor('ana');
    assert.equal((await h.request('GET', 'hub/api/users', { token })).status, 200, 'analyst lists users');
    assert.ok(h.logs.some((l) => l.includes('manage_roles: roles synced') && l.includes('ana')));
  });

  test('at a refresh the new list replaces the old: a role no longer named is revoked, and its scopes go at once', async () => {
    const b = await logIn('ana');
    const token = await h.tokenFor('ana');
    account('ana').roles = ['data-team'];
    h.hub.ctx.authRefresh.forget(await userId('ana'));
    assert.equal((await b.get('hub/home')).status, 200);
    assert.deepEqual(await rolesOf('ana'), ['data-team', 'user']);
    const r = await h.request('GET', 'hub/api/users', { token });
    assert.equal(r.status, 403, r.text);
    await h.hub.ctx.audit.flush();
    const audit = await h.request('GET', 'hub/api/audit?action=role.revoke');
    assert.ok(
      audit.json.some((e: any) => e.target.name === 'analyst' && /manage_roles/.test(e.reason)),
      JSON.stringify(audit.json).slice(0, 500),
    );
  });

  test('the default roles stay the hub’s: admin in the claim makes no admin; a name no role can have is skipped', async () => {
    await logIn('ben');
    assert.deepEqual(await rolesOf('ben'), ['data-team', 'user']);
    assert.equal((await h.request('GET', 'hub/api/users/ben')).json.admin, false);
    assert.ok(h.logs.some((l) => l.includes('skipped a role name the hub cannot use')));
  });

  test("the start-up role sync keeps the provider's assignments and the roles it created", async () => {
    await syncRoles(h.hub.ctx, SYSTEM_CALLER);
    assert.deepEqual(await rolesOf('ana'), ['data-team', 'user']);
    assert.deepEqual(await rolesOf('ben'), ['data-team', 'user']);
  });

  test('load_roles may not assign users while the provider manages roles: the hub does not start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tshub-roles-'));
    try {
      const config = buildConfig({
        db_url: `sqlite:///${join(dir, 'hub.sqlite')}`,
        load_roles: [{ name: 'analyst', scopes: ['list:users'], users: ['ana'] }],
        authenticator: { manage_roles: true },
      });
      await assert.rejects(Hub.create({ config, baseDir: dir, log: createLogger('error') }), (err: Error) => {
        assert.equal(err.name, 'StartupError');
        assert.match(err.message, /role 'analyst' lists users, but the authenticator manages roles \(manage_roles\)/);
        return true;
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
