import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildConfig, ConfigError } from '../../../config/index.ts';
import { admit } from '../admission.ts';
import { googleEnrich } from './google.ts';

const authOf = (authenticator: Record<string, unknown>) =>
  buildConfig({ authenticator: authenticator as never }).authenticator;
const oauthOf = (authenticator: Record<string, unknown>) => authOf(authenticator).oauth;

describe('preset defaults (as upstream, and what the admin writes wins)', () => {
  test('github: github.com and its API host; Enterprise under /api/v3; read:org with organizations', () => {
    const o = oauthOf({ class: 'github', oauth: { client_id: 'x' } });
    assert.equal(o.authorize_url, 'https://github.com/login/oauth/authorize');
    assert.equal(o.token_url, 'https://github.com/login/oauth/access_token');
    assert.equal(o.userdata_url, 'https://api.github.com/user');
    assert.deepEqual([o.username_claim, o.login_service, o.scope], ['login', 'GitHub', []]);
    const ghe = oauthOf({
      class: 'github',
      oauth: { client_id: 'x', github_url: 'https://ghe.example.org/', allowed_organizations: ['a'] },
    });
    assert.equal(ghe.userdata_url, 'https://ghe.example.org/api/v3/user');
    assert.equal(ghe.authorize_url, 'https://ghe.example.org/login/oauth/authorize');
    assert.deepEqual(ghe.scope, ['read:org']);
    const mine = oauthOf({ class: 'github', oauth: { client_id: 'x', username_claim: 'id', scope: ['user'] } });
    assert.deepEqual([mine.username_claim, mine.scope], ['id', ['user']]);
  });

  test('gitlab, google, azuread', () => {
    const gl = oauthOf({ class: 'gitlab', oauth: { client_id: 'x', gitlab_url: 'https://git.example.org' } });
    assert.equal(gl.token_url, 'https://git.example.org/oauth/token');
    assert.equal(gl.userdata_url, 'https://git.example.org/api/v4/user');
    assert.deepEqual([gl.username_claim, gl.scope], ['username', ['read_user']]);
    const go = oauthOf({ class: 'google', oauth: { client_id: 'x' } });
    assert.deepEqual(
      [go.oidc_issuer, go.username_claim, go.scope],
      ['https://accounts.google.com', 'email', ['openid', 'email']],
    );
    const az = oauthOf({ class: 'azuread', oauth: { client_id: 'x', tenant_id: 'contoso.onmicrosoft.com' } });
    assert.equal(az.oidc_issuer, 'https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0');
    assert.equal(oauthOf({ class: 'entra', oauth: { client_id: 'x', tenant_id: 't' } }).username_claim, 'name');
    assert.deepEqual([az.username_claim, az.auth_state_groups_key], ['name', 'id_token.groups']);
    assert.throws(
      () => oauthOf({ class: 'azuread', oauth: { client_id: 'x' } }),
      (err: unknown) =>
        err instanceof ConfigError && err.problems.some((p) => p.startsWith('authenticator.oauth.tenant_id')),
    );
  });
});

describe('a preset membership rule in admission', () => {
  const gh = authOf({ class: 'github', allow_all: true, oauth: { client_id: 'x', allowed_organizations: ['a'] } });
  const rule = (member: boolean) => ({ configured: true, member, what: 'allowed_organizations' });

  test('closes allow_all like allowed_groups; a member, or someone in the hub lists, gets in', () => {
    assert.deepEqual(admit(gh, 'x', [], rule(false)), {
      allowed: false,
      why: 'not a member of any of allowed_organizations',
    });
    assert.equal(admit(gh, 'x', [], rule(true)).allowed, true);
    const listed = authOf({ ...gh, allowed_users: ['x'] });
    assert.equal(admit(listed, 'x', [], rule(false)).allowed, true);
    assert.equal(admit(gh, 'x', []).allowed, true, 'no rule found (generic oauth): allow_all holds');
  });
});

describe('google checks', () => {
  const o = (hosted_domain: string[]) => oauthOf({ class: 'google', oauth: { client_id: 'x', hosted_domain } });
  const who = (claims: Record<string, unknown>) => ({ oauth_user: claims, id_token: {} });

  test('two hosted domains keep the whole address as the name; one strips its own domain only', async () => {
    const a = who({ email: 'ada@b.org', email_verified: true, hd: 'b.org' });
    assert.equal((await googleEnrich(o(['a.org', 'b.org']), a)).preset, undefined);
    assert.deepEqual((await googleEnrich(o(['b.org']), a)).preset, { username: 'ada' });
    // hd names the Workspace; an address of another domain in that Workspace keeps its domain.
    const alias = who({ email: 'ada@alias.org', email_verified: true, hd: 'b.org' });
    assert.equal((await googleEnrich(o(['b.org']), alias)).preset, undefined);
  });

  test('an email_verified that is not true (missing, "true") is refused', async () => {
    for (const email_verified of [undefined, 'true'])
      await assert.rejects(googleEnrich(o([]), who({ email: 'a@b.org', email_verified })), /unverified email/);
  });
});
