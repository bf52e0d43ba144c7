// The token REST API against the in-process hub: JupyterHub compatibility (API.md §9, assertions 25–31 and 38).
// tshub's additions from TOKENS.md (inactive list, limits, maximum lifetime, config scopes) are in
// test/api-tokens-limits.test.ts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestHub } from './harness.ts';
import { startInProcessHub } from './inprocess.ts';
import { addOAuthClient, hubIssued, tokensPath } from './token-helpers.ts';

const TOKEN_SHAPE = /^tshub_p_[0-9A-Za-z]{42}$/;

describe('token API: JupyterHub compatibility', () => {
  let h: TestHub;
  before(async () => {
    h = await startInProcessHub();
    await h.addUsers(['ann', 'bob', 'cat', 'dan', 'eve', 'fay']);
  });
  after(() => h.stop());

  test('{} → 201 with note "Requested via api", no expiry, a tshub token; GET by id equals the reply minus token; DELETE → 204 then 404', async () => {
    const ann = await h.tokenFor('ann');
    const created = await h.request('POST', tokensPath('ann'), { token: ann, body: {} });
    assert.equal(created.status, 201, created.text);
    const model = created.json;
    assert.match(model.token, TOKEN_SHAPE);
    assert.equal(model.note, 'Requested via api');
    assert.equal(model.expires_at, null);
    assert.equal(model.kind, 'api_token');
    assert.equal(model.user, 'ann');
    assert.match(model.id, /^a\d+$/);
    assert.deepEqual(model.roles, []);
    assert.equal(model.oauth_client, 'JupyterHub');
    assert.equal(model.session_id, null);
    assert.equal(model.last_activity, null);
    // tshub's additions
    assert.equal(model.prefix, model.token.slice(6, 20));
    assert.equal(model.last_used_ip, null);
    assert.equal(model.revoked_at, null);
    assert.equal(model.rotated_from, null);
    // the default scopes are everything the owner holds (the `token` role: inherit)
    assert.ok(model.scopes.includes('tokens!user=ann'), model.scopes.join(' '));
    assert.ok(model.scopes.includes('read:users!user=ann'));

    const got = await h.request('GET', tokensPath('ann', `/${model.id}`), { token: ann });
    assert.equal(got.status, 200);
    const { token: _secret, ...withoutToken } = model;
    assert.deepEqual(got.json, withoutToken);
    assert.equal('token' in got.json, false);

    const del = await h.request('DELETE', tokensPath('ann', `/${model.id}`), { token: ann });
    assert.equal(del.status, 204);
    assert.equal(del.text, '');
    const gone = await h.request('GET', tokensPath('ann', `/${model.id}`), { token: ann });
    assert.equal(gone.status, 404);
    assert.equal((await h.request('DELETE', tokensPath('ann', `/${model.id}`), { token: ann })).status, 404);
  });

  test('expires_in: 100 → expires_at is an ISO timestamp about 100 s ahead', async () => {
    const t0 = Date.now();
    const r = await h.request('POST', tokensPath('ann'), { body: { expires_in: 100 } });
    assert.equal(r.status, 201, r.text);
    assert.equal(typeof r.json.expires_at, 'string');
    assert.match(r.json.expires_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    const delta = Date.parse(r.json.expires_at) - t0;
    assert.ok(delta > 95_000 && delta < 105_000, `expires in ${delta} ms`);
    // expires_in 0 or null means never (upstream)
    for (const expires_in of [0, null]) {
      const never = await h.request('POST', tokensPath('ann'), { body: { expires_in } });
      assert.equal(never.status, 201);
      assert.equal(never.json.expires_at, null);
    }
    for (const expires_in of ['100', 1.5, -1, true]) {
      const bad = await h.request('POST', tokensPath('ann'), { body: { expires_in } });
      assert.equal(bad.status, 400, `expires_in ${JSON.stringify(expires_in)}`);
    }
    await h.request('DELETE', tokensPath('ann'));
  });

  test('bad credentials → 403 with the reason; a body that is not an object → 400', async () => {
    const none = await h.request('POST', tokensPath('ann'), { token: null, body: {} });
    assert.equal(none.status, 403);
    assert.equal(none.json.reason, 'credentials_missing');
    const bad = await h.request('POST', tokensPath('ann'), { token: 'not-a-real-token-at-all', body: {} });
    assert.equal(bad.status, 403);
    assert.equal(bad.json.reason, 'token_unknown');
    const wrongAuth = await h.request('POST', tokensPath('ann'), { token: null, body: { auth: { username: 'ann' } } });
    assert.equal(wrongAuth.status, 403);
    const list = await h.request('POST', tokensPath('ann'), { body: [] });
    assert.equal(list.status, 400);
  });

  test('admin creating for another user → note "Requested via api by user admin"; missing user → 403; user for another user → 403', async () => {
    const r = await h.request('POST', tokensPath('bob'), { body: {} });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.note, 'Requested via api by user admin');
    assert.equal(r.json.user, 'bob');
    const who = await h.request('GET', 'hub/api/user', { token: r.json.token });
    assert.equal(who.json.name, 'bob');

    const missing = await h.request('POST', tokensPath('nosuchuser'), { body: {} });
    assert.equal(missing.status, 403);
    assert.match(missing.json.message, /not found or no permissions/);

    const bob = r.json.token;
    const other = await h.request('POST', tokensPath('ann'), { token: bob, body: {} });
    assert.equal(other.status, 403);
    assert.match(other.json.message, /User ann not found or no permissions/);

    const explicit = await h.request('POST', tokensPath('bob'), { token: bob, body: { note: 'my laptop' } });
    assert.equal(explicit.json.note, 'my laptop');
    const own = await h.request('POST', tokensPath('bob'), { token: bob, body: {} });
    assert.equal(own.json.note, 'Requested via api');
  });

  test('token list: self or admin → 200, a user on another user → 404, an unknown user → 404 for the admin', async () => {
    const cat = await h.tokenFor('cat');
    const self = await h.request('GET', tokensPath('cat'), { token: cat });
    assert.equal(self.status, 200);
    assert.equal(self.json.api_tokens.length, 1);
    assert.equal(self.json.api_tokens[0].user, 'cat');
    assert.equal('token' in self.json.api_tokens[0], false);
    assert.equal('inactive_tokens' in self.json, false);
    const byAdmin = await h.request('GET', tokensPath('cat'));
    assert.equal(byAdmin.status, 200);
    assert.deepEqual(byAdmin.json, self.json);
    const other = await h.request('GET', tokensPath('ann'), { token: cat });
    assert.equal(other.status, 404);
    assert.equal((await h.request('GET', tokensPath('nosuchuser'))).status, 404);
    // a single token of another user is just as invisible
    const annToken = (await h.request('POST', tokensPath('ann'), { body: {} })).json.id;
    assert.equal((await h.request('GET', tokensPath('ann', `/${annToken}`), { token: cat })).status, 404);
    assert.equal((await h.request('GET', tokensPath('cat', `/${annToken}`))).status, 404);
  });

  test('no credentials but {"auth": {username, password}} → 201 through the authenticator', async () => {
    const r = await h.request('POST', tokensPath('dan'), {
      token: null,
      body: { auth: { username: 'dan', password: 'anything' }, note: 'via password' },
    });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.note, 'via password');
    const who = await h.request('GET', 'hub/api/user', { token: r.json.token });
    assert.equal(who.json.name, 'dan');
    // authenticated as dan, asking for ann → 403
    const forOther = await h.request('POST', tokensPath('ann'), {
      token: null,
      body: { auth: { username: 'dan', password: 'x' } },
    });
    assert.equal(forOther.status, 403);
    // a valid authentication for a user that does not exist → 403
    const ghost = await h.request('POST', tokensPath('ghost'), {
      token: null,
      body: { auth: { username: 'ghost', password: 'x' } },
    });
    assert.equal(ghost.status, 403);
  });

  test('scopes: own filtered scopes → 201; beyond the owner, unknown scope or role → 400', async () => {
    const eve = await h.tokenFor('eve');
    const ok = await h.request('POST', tokensPath('eve'), { token: eve, body: { scopes: ['read:users!user'] } });
    assert.equal(ok.status, 201, ok.text);
    assert.deepEqual(ok.json.scopes, [
      'read:users!user=eve',
      'read:users:activity!user=eve',
      'read:users:groups!user=eve',
      'read:users:name!user=eve',
    ]);
    const explicitSelf = await h.request('POST', tokensPath('eve'), {
      token: eve,
      body: { scopes: ['read:users!user=eve'] },
    });
    assert.equal(explicitSelf.status, 201);
    for (const scopes of [
      ['read:users!user=ann'],
      ['read:users'],
      ['admin:users'],
      ['no-such-scope'],
      ['read:users!nofilter=x'],
    ]) {
      const r = await h.request('POST', tokensPath('eve'), { token: eve, body: { scopes } });
      assert.equal(r.status, 400, `scopes ${scopes}: ${r.text}`);
    }
    const notAssigning = await h.request('POST', tokensPath('eve'), { token: eve, body: { scopes: ['admin:users'] } });
    assert.match(notAssigning.json.message, /^Not assigning requested scopes/);
    const role = await h.request('POST', tokensPath('eve'), { token: eve, body: { roles: ['no-such-role'] } });
    assert.equal(role.status, 400);
    const adminRole = await h.request('POST', tokensPath('eve'), { token: eve, body: { roles: ['admin'] } });
    assert.equal(adminRole.status, 400);
    for (const body of [{ scopes: 'read:users' }, { scopes: [1] }, { roles: 'user' }]) {
      assert.equal(
        (await h.request('POST', tokensPath('eve'), { token: eve, body })).status,
        400,
        JSON.stringify(body),
      );
    }
    // an admin may hand a user's token only what the user holds, not the admin's own rights
    const beyondOwner = await h.request('POST', tokensPath('eve'), { body: { scopes: ['admin:users'] } });
    assert.equal(beyondOwner.status, 400);
    await h.request('DELETE', tokensPath('eve'));
  });

  test('a filtered-scope token can read itself but nothing else', async () => {
    const r = await h.request('POST', tokensPath('eve'), { body: { scopes: ['read:users!user'] } });
    const t = r.json.token;
    assert.equal((await h.request('GET', 'hub/api/users/eve', { token: t })).status, 200);
    assert.equal((await h.request('GET', 'hub/api/users/ann', { token: t })).status, 404);
    const list = await h.request('GET', 'hub/api/users', { token: t });
    assert.equal(list.status, 403);
    assert.equal(list.json.reason, 'insufficient_scope');
    assert.deepEqual(list.json.required_scopes, ['list:users']);
    // it lacks `tokens`: no new tokens from it
    assert.equal((await h.request('POST', tokensPath('eve'), { token: t, body: {} })).status, 403);
    await h.request('DELETE', tokensPath('eve'));
  });

  test('roles: [] → only the identify scopes; roles: [server] → own activity only', async () => {
    const empty = await h.request('POST', tokensPath('fay'), { body: { roles: [] } });
    assert.equal(empty.status, 201, empty.text);
    assert.deepEqual(empty.json.scopes, ['read:users:groups!user=fay', 'read:users:name!user=fay']);
    const who = await h.request('GET', 'hub/api/user', { token: empty.json.token });
    assert.equal(who.status, 200);
    assert.equal(who.json.name, 'fay');
    assert.deepEqual(who.json.scopes, ['read:users:groups!user=fay', 'read:users:name!user=fay']);
    assert.equal((await h.request('GET', tokensPath('fay'), { token: empty.json.token })).status, 403);
    assert.equal((await h.request('GET', 'hub/api/users', { token: empty.json.token })).status, 403);

    const server = await h.request('POST', tokensPath('fay'), { body: { roles: ['server'] } });
    assert.equal(server.status, 201, server.text);
    const s = server.json.token;
    const whoS = await h.request('GET', 'hub/api/user', { token: s });
    assert.ok(whoS.json.scopes.includes('users:activity!user=fay'), whoS.json.scopes.join(' '));
    assert.ok(!whoS.json.scopes.some((x: string) => x.startsWith('tokens')));
    assert.equal((await h.request('GET', 'hub/api/users/ann', { token: s })).status, 404);
    assert.equal((await h.request('GET', 'hub/api/users', { token: s })).status, 403);
    await h.request('DELETE', tokensPath('fay'));
  });

  test('token ids in any other form than a<id> of the owner → 404', async () => {
    const own = (await h.request('POST', tokensPath('ann'), { body: {} })).json;
    const annOther = (await h.request('POST', tokensPath('bob'), { body: {} })).json;
    const n = own.id.slice(1);
    for (const id of [
      `b${n}`,
      n,
      'a',
      'aa',
      `a${n}x`,
      'a-1',
      'a0',
      `a${n}.0`,
      'a99999999',
      'a1e3',
      annOther.id,
      `%20${own.id}`,
    ]) {
      const get = await h.request('GET', tokensPath('ann', `/${id}`));
      assert.equal(get.status, 404, `GET ${id}`);
      const del = await h.request('DELETE', tokensPath('ann', `/${id}`));
      assert.equal(del.status, 404, `DELETE ${id}`);
      assert.equal(
        (await h.request('POST', tokensPath('ann', `/${id}/rotate`), { body: {} })).status,
        404,
        `rotate ${id}`,
      );
    }
    assert.equal((await h.request('GET', tokensPath('ann', `/${own.id}`))).status, 200);
  });

  test('revoking an OAuth token revokes every token of that client for that user, and only those', async () => {
    await addOAuthClient(h, 'service-grader', 'Grader service');
    await addOAuthClient(h, 'service-other', 'Other service');
    const a1 = await hubIssued(h, 'cat', 'oauth', 'service-grader');
    const a2 = await hubIssued(h, 'cat', 'oauth', 'service-grader');
    const otherClient = await hubIssued(h, 'cat', 'oauth', 'service-other');
    const otherUser = await hubIssued(h, 'dan', 'oauth', 'service-grader');
    const personal = await h.tokenFor('cat');

    const list = await h.request('GET', tokensPath('cat'));
    const model = list.json.api_tokens.find((t: { id: string }) => t.id === `a${a1.id}`);
    assert.equal(model.oauth_client, 'Grader service');

    const del = await h.request('DELETE', tokensPath('cat', `/a${a1.id}`));
    assert.equal(del.status, 204);
    for (const t of [a1, a2]) {
      const r = await h.request('GET', 'hub/api/user', { token: t.token });
      assert.equal(r.status, 403);
      assert.equal(r.json.reason, 'token_revoked');
    }
    for (const t of [otherClient.token, otherUser.token, personal]) {
      assert.equal((await h.request('GET', 'hub/api/user', { token: t })).status, 200);
    }
  });

  test('an expired token cannot be found (assertion 38): 403 token_expired, 404 by id, absent from the list', async () => {
    const r = await h.request('POST', tokensPath('dan'), { body: { expires_in: 1, note: 'short' } });
    assert.equal(r.status, 201);
    assert.equal((await h.request('GET', 'hub/api/user', { token: r.json.token })).status, 200);
    await new Promise((res) => setTimeout(res, 1100));
    const used = await h.request('GET', 'hub/api/user', { token: r.json.token });
    assert.equal(used.status, 403);
    assert.equal(used.json.reason, 'token_expired');
    assert.equal((await h.request('GET', tokensPath('dan', `/${r.json.id}`))).status, 404);
    const list = await h.request('GET', tokensPath('dan'));
    assert.ok(!list.json.api_tokens.some((t: { id: string }) => t.id === r.json.id));
    // tshub keeps it, listed apart (not silently deleted)
    const all = await h.request('GET', `${tokensPath('dan')}?include_inactive=1`);
    assert.ok(all.json.inactive_tokens.some((t: { id: string }) => t.id === r.json.id));
    const byId = await h.request('GET', `${tokensPath('dan', `/${r.json.id}`)}?include_inactive=1`);
    assert.equal(byId.status, 200);
    assert.equal(byId.json.note, 'short');
  });
});
