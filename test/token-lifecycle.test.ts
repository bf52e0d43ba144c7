// A token's life against the in-process hub (TOKENS.md): why a credential is refused and revocation that applies
// to the very next request. Rotation, batched activity and config tokens: token-lifecycle-rotation.test.ts
// (`tshub token`, a real process: token-lifecycle-e2e.test.ts).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestHub } from './harness.ts';
import { startInProcessHub } from './inprocess.ts';
import { generateToken } from '../src/tokens/format.ts';
import { assertRefused, instrument, serverToken, tokensPath, whoami } from './token-helpers.ts';

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

describe('why a credential is refused', () => {
  let h: TestHub;
  before(async () => {
    h = await startInProcessHub();
    await h.addUsers(['ann', 'bob']);
  });
  after(() => h.stop());

  test('a token with a broken checksum → token_malformed without any database query; an unknown one is looked up', async () => {
    const probe = instrument(h);
    try {
      const real = generateToken();
      const last = real.at(-1) === 'a' ? 'b' : 'a';
      const broken = [
        real.slice(0, -1) + last,
        real.slice(0, 10) + (real[10] === 'Z' ? 'Y' : 'Z') + real.slice(11),
        real.slice(0, -2),
        `${real}x`,
        `tshub_${'-'.repeat(38)}`,
      ];
      for (const t of broken) {
        const before = probe.kinds.length;
        await assertRefused(h, t, 'token_malformed');
        assert.deepEqual(probe.kinds.slice(before), [], `queries for ${t.slice(0, 10)}…`);
      }
      // the same request with a well-formed unknown token does reach the database (so the probe sees queries)
      const before = probe.kinds.length;
      await assertRefused(h, real, 'token_unknown');
      assert.ok(probe.kinds.length > before, 'an unknown well-formed token is looked up');
    } finally {
      probe.restore();
    }
  });

  test('unknown, expired (also at the exact second), revoked and rotated tokens each say why', async () => {
    await assertRefused(h, generateToken(), 'token_unknown');
    await assertRefused(h, 'not-a-token-we-know', 'token_unknown');
    await assertRefused(h, 'short', 'token_unknown');

    const expiring = (await h.request('POST', tokensPath('ann'), { body: { expires_in: 1 } })).json;
    assert.equal((await whoami(h, expiring.token)).status, 200);
    await sleep(1050);
    await assertRefused(h, expiring.token, 'token_expired');

    // expires_at set to "now" by the database: expired at once, even though the row is cached
    const t = await h.tokenFor('ann');
    assert.equal((await whoami(h, t)).status, 200);
    const id = Number((await whoami(h, t)).json.token_id.slice(1));
    await h.hub.ctx.k
      .updateTable('api_tokens')
      .set({ expires_at: new Date().toISOString() })
      .where('id', '=', id)
      .execute();
    h.hub.ctx.permissions.invalidate();
    await assertRefused(h, t, 'token_expired');

    const revoked = (await h.request('POST', tokensPath('ann'), { body: {} })).json;
    await h.request('DELETE', tokensPath('ann', `/${revoked.id}`));
    await assertRefused(h, revoked.token, 'token_revoked');

    const rotated = (await h.request('POST', tokensPath('ann'), { body: {} })).json;
    assert.equal((await h.request('POST', tokensPath('ann', `/${rotated.id}/rotate`), { body: {} })).status, 201);
    await assertRefused(h, rotated.token, 'token_rotated');
  });

  test('"Bearer" works like "token", case-insensitively; other schemes are missing credentials', async () => {
    const t = await h.tokenFor('bob');
    for (const scheme of ['Bearer', 'bearer', 'TOKEN', 'token']) {
      const r = await h.request('GET', 'hub/api/user', { token: null, headers: { authorization: `${scheme} ${t}` } });
      assert.equal(r.status, 200, scheme);
    }
    const basic = await h.request('GET', 'hub/api/user', { token: null, headers: { authorization: `Basic ${t}` } });
    assert.equal(basic.status, 403);
    assert.equal(basic.json.reason, 'credentials_missing');
  });

  test('a permission failure names the scopes that would have allowed it', async () => {
    const t = await h.tokenFor('bob');
    const r = await h.request('GET', 'hub/api/users', { token: t });
    assert.equal(r.status, 403);
    assert.equal(r.json.reason, 'insufficient_scope');
    assert.deepEqual(r.json.required_scopes, ['list:users']);
    assert.match(r.json.message, /requires any of \[list:users\]/);
  });
});

describe('tokens.invalid_credentials_status: 401', () => {
  let h: TestHub;
  before(async () => {
    h = await startInProcessHub({ tokens: { invalid_credentials_status: 401 } });
    await h.addUsers(['ann']);
  });
  after(() => h.stop());

  test('bad credentials → 401 with WWW-Authenticate; a missing scope stays 403', async () => {
    for (const [token, reason] of [
      [generateToken(), 'token_unknown'],
      [`${generateToken().slice(0, -1)}!`, 'token_malformed'],
    ] as const) {
      const r = await h.request('GET', 'hub/api/user', { token });
      assert.equal(r.status, 401);
      assert.equal(r.headers.get('www-authenticate'), 'Bearer error="invalid_token"');
      assert.equal(r.json.reason, reason);
      assert.equal(r.json.status, 401);
    }
    const none = await h.request('GET', 'hub/api/users', { token: null });
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
    assert.equal(none.json.reason, 'credentials_missing');
    // token creation without credentials and with failed `auth` follows the same setting
    const failedAuth = await h.request('POST', tokensPath('ann'), { token: null, body: { auth: { username: 'ann' } } });
    assert.equal(failedAuth.status, 401);
    const t = await h.tokenFor('ann');
    const scope = await h.request('GET', 'hub/api/users', { token: t });
    assert.equal(scope.status, 403);
    assert.equal(scope.json.reason, 'insufficient_scope');
    assert.equal(scope.headers.get('www-authenticate'), null);
  });
});

describe('revocation applies to the very next request', () => {
  let h: TestHub;
  before(async () => {
    h = await startInProcessHub();
    await h.addUsers(['cal', 'dee', 'eli']);
  });
  after(() => h.stop());

  test('revoked by an admin, while its lookup is cached', async () => {
    const t = (await h.request('POST', tokensPath('cal'), { body: {} })).json;
    for (let i = 0; i < 3; i++) assert.equal((await whoami(h, t.token)).status, 200);
    assert.equal((await h.request('DELETE', tokensPath('cal', `/${t.id}`))).status, 204);
    await assertRefused(h, t.token, 'token_revoked');
  });

  test('a token revoking itself', async () => {
    const t = (await h.request('POST', tokensPath('cal'), { body: {} })).json;
    assert.equal((await h.request('DELETE', tokensPath('cal', `/${t.id}`), { token: t.token })).status, 204);
    await assertRefused(h, t.token, 'token_revoked');
  });

  test("revoke-all by an admin: every personal, OAuth and config token, not the servers' own", async () => {
    const a = await h.tokenFor('dee');
    const b = await h.tokenFor('dee', { expires_in: 3600 });
    const server = await serverToken(h, 'dee');
    const other = await h.tokenFor('eli');
    for (const t of [a, b, server, other]) assert.equal((await whoami(h, t)).status, 200);
    const r = await h.request('DELETE', tokensPath('dee'));
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { revoked: 2 });
    await assertRefused(h, a, 'token_revoked');
    await assertRefused(h, b, 'token_revoked');
    assert.equal((await whoami(h, server)).status, 200);
    assert.equal((await whoami(h, other)).status, 200);
    assert.deepEqual(
      (await h.request('GET', tokensPath('dee'))).json.api_tokens.map((t: { note: string }) => t.note),
      ['Server at /user/dee/'],
    );
    // a user may not revoke another user's tokens
    assert.equal((await h.request('DELETE', tokensPath('eli'), { token: await h.tokenFor('cal') })).status, 404);
    assert.equal((await whoami(h, other)).status, 200);
  });

  test('deleting a user kills its tokens at once', async () => {
    await h.addUsers(['fox']);
    const t = await h.tokenFor('fox');
    assert.equal((await whoami(h, t)).status, 200);
    assert.equal((await h.request('DELETE', 'hub/api/users/fox')).status, 204);
    await assertRefused(h, t, 'token_unknown');
    // a new user of the same name does not inherit it
    await h.addUsers(['fox']);
    await assertRefused(h, t, 'token_unknown');
  });
});
