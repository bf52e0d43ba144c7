// RFC 7662 introspection, RFC 7009 revocation and GET /hub/api/tokens/self, on the in-process hub. Typed token
// prefixes per kind and legacy tokens: token-typed.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { upsertOAuthClient } from '../src/repo/oauth-clients.ts';
import { digestToken, generateToken } from '../src/tokens/format.ts';
import { Browser } from './browser-session.ts';
import type { TestHub } from './harness.ts';
import { startInProcessHub } from './inprocess.ts';
import { assertRefused, hubIssued, whoami } from './token-helpers.ts';

const SECRET_A = `secret-a-${generateToken().slice(6, 20)}`;
const SECRET_B = `secret-b-${generateToken().slice(6, 20)}`;
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

describe('introspection, revocation and tokens/self', () => {
  let h: TestHub;
  before(async () => {
    h = await startInProcessHub({}, { listen: true });
    await h.addUsers(['alice', 'bob']);
    for (const [identifier, secret] of [
      ['service-a', SECRET_A],
      ['service-b', SECRET_B],
    ] as const)
      await upsertOAuthClient(h.hub.ctx.k, {
        identifier,
        description: identifier,
        secretHash: digestToken(secret),
        redirectUri: `http://127.0.0.1:9/${identifier}/oauth_callback`,
        allowedScopes: [],
      });
  });
  after(() => h?.stop());

  /** POSTs a form to an OAuth endpoint, authenticated by `auth` (an Authorization header value) or not. */
  const post = (endpoint: 'introspect' | 'revoke', form: Record<string, string>, auth?: string) =>
    h.request('POST', `hub/api/oauth2/${endpoint}`, {
      token: null,
      rawBody: new URLSearchParams(form).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(auth ? { authorization: auth } : {}) },
    });

  test('a client sees its own active token in full, and nothing about any other', async () => {
    const mine = await hubIssued(h, 'alice', 'oauth', 'service-a');
    const theirs = await hubIssued(h, 'alice', 'oauth', 'service-b');
    const r = await post(
      'introspect',
      { token: mine.token, token_type_hint: 'access_token' },
      basic('service-a', SECRET_A),
    );
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers.get('cache-control'), 'no-store');
    assert.equal(r.json.active, true);
    assert.equal(r.json.username, 'alice');
    assert.equal(r.json.sub, 'alice');
    assert.equal(r.json.client_id, 'service-a');
    assert.equal(r.json.token_type, 'Bearer');
    assert.equal(r.json.jti, `a${mine.id}`);
    assert.equal(r.json.type, 'oauth');
    assert.equal(r.json.exp, undefined, 'never expires: no exp');
    assert.ok(Math.abs(r.json.iat - Date.now() / 1000) < 60, String(r.json.iat));
    assert.ok(r.json.scope.split(' ').includes('read:users:name!user=alice'), r.json.scope);
    // Form credentials work as HTTP Basic does.
    const form = await post('introspect', { token: mine.token, client_id: 'service-a', client_secret: SECRET_A });
    assert.equal(form.json.active, true, form.text);

    for (const token of [theirs.token, generateToken(), `${mine.token.slice(0, -1)}!`, 'not-a-token', '']) {
      const other = await post('introspect', { token }, basic('service-a', SECRET_A));
      assert.equal(other.status, 200, other.text);
      assert.deepEqual(other.json, { active: false }, `for ${token.slice(0, 10)}`);
    }
  });

  test('a wrong secret, an unknown client or no credentials at all: 401 invalid_client, nothing about the token', async () => {
    const mine = await hubIssued(h, 'alice', 'oauth', 'service-a');
    for (const auth of [basic('service-a', SECRET_B), basic('service-zz', SECRET_A), undefined, 'token not-a-token']) {
      const r = await post('introspect', { token: mine.token }, auth);
      assert.equal(r.status, 401, `${auth}: ${r.text}`);
      assert.equal(r.json.error, 'invalid_client');
      assert.equal(r.json.active, undefined);
      assert.equal((await post('revoke', { token: mine.token }, auth)).status, 401);
    }
    assert.equal((await whoami(h, mine.token)).status, 200, 'no revocation happened');
    const both = await post('introspect', { token: mine.token, client_secret: SECRET_A }, basic('service-a', SECRET_A));
    assert.equal(both.status, 400, 'one way of client authentication');
  });

  test('RFC 7009: a client revokes its own token (next use 403, introspection inactive), never another client’s', async () => {
    const mine = await hubIssued(h, 'bob', 'oauth', 'service-a');
    const notYours = await post('revoke', { token: mine.token }, basic('service-b', SECRET_B));
    assert.equal(notYours.status, 200, notYours.text);
    assert.equal((await whoami(h, mine.token)).status, 200, 'service-b may not revoke service-a’s token');

    const r = await post(
      'revoke',
      { token: mine.token, token_type_hint: 'access_token' },
      basic('service-a', SECRET_A),
    );
    assert.equal(r.status, 200, r.text);
    await assertRefused(h, mine.token, 'token_revoked');
    const after = await post('introspect', { token: mine.token }, basic('service-a', SECRET_A));
    assert.deepEqual(after.json, { active: false });
    // Unknown, already revoked and malformed tokens: 200 all the same.
    for (const token of [mine.token, generateToken(), 'whatever'])
      assert.equal((await post('revoke', { token }, basic('service-a', SECRET_A))).status, 200);
    const audit = await h.request('GET', `hub/api/audit?action=token.revoke&limit=200`);
    assert.equal(audit.status, 200, audit.text);
    const items = (audit.json.items ?? audit.json) as { action: string; target: { name: string } | null }[];
    const revoked = items.filter((e) => e.action === 'token.revoke' && e.target?.name === `a${mine.id}`);
    assert.equal(revoked.length, 1, `one audited revocation: ${JSON.stringify(items).slice(0, 400)}`);
  });

  test('with a hub token: its owner’s own tokens, or users it may read tokens of; a user revokes only their own', async () => {
    const alice = await h.tokenFor('alice', { scopes: ['read:users:name!user'] });
    const alice2 = await h.tokenFor('alice');
    const bob = await h.tokenFor('bob');
    const bearer = (t: string) => `Bearer ${t}`;
    const own = await post('introspect', { token: alice2 }, bearer(alice));
    assert.equal(own.json.active, true, own.text);
    assert.equal(own.json.type, 'personal');
    assert.deepEqual((await post('introspect', { token: alice2 }, bearer(bob))).json, { active: false });
    // The admin holds read:tokens on every user.
    const admin = await h.tokenFor('admin');
    assert.equal((await post('introspect', { token: alice2 }, bearer(admin))).json.active, true);

    assert.equal((await post('revoke', { token: alice2 }, bearer(bob))).status, 200);
    assert.equal((await whoami(h, alice2)).status, 200, 'bob may not revoke alice’s token');
    assert.equal((await post('revoke', { token: alice2 }, bearer(alice))).status, 200);
    await assertRefused(h, alice2, 'token_revoked');
  });

  test('tokens/self describes the token in hand; a browser session has none (400 no_token_in_hand)', async () => {
    const made = await h.request('POST', 'hub/api/users/alice/tokens', {
      body: { note: 'self', expires_in: 3600, scopes: ['read:users:name!user'] },
    });
    const r = await h.request('GET', 'hub/api/tokens/self', { token: made.json.token });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.id, made.json.id);
    assert.equal(r.json.user, 'alice');
    assert.equal(r.json.type, 'personal');
    assert.equal(r.json.token_kind, 'api');
    assert.equal(r.json.state, 'active');
    assert.equal(r.json.note, 'self');
    assert.equal(r.json.expires_at, made.json.expires_at);
    assert.equal(r.json.prefix, made.json.prefix);
    assert.equal(r.json.replaced_by, null);
    assert.ok(r.json.scopes.includes('read:users:name!user=alice'), JSON.stringify(r.json.scopes));
    assert.equal(r.json.token, undefined, 'never the secret');
    assert.ok('last_activity' in r.json && 'last_used_ip' in r.json);

    const server = await hubIssued(h, 'bob', 'server');
    assert.equal((await h.request('GET', 'hub/api/tokens/self', { token: server.token })).json.type, 'server');
    await assertRefused(
      h,
      made.json.token.replace(/.$/, (c: string) => (c === 'a' ? 'b' : 'a')),
      'token_malformed',
    );

    const b = new Browser(h);
    await b.login('alice');
    const session = await b.get('hub/api/tokens/self');
    assert.equal(session.status, 400, session.text);
    assert.equal(JSON.parse(session.text).reason, 'no_token_in_hand');
    assert.equal((await h.request('GET', 'hub/api/tokens/self', { token: null })).status, 403);
  });
});
