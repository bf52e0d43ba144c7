// The token REST API against the in-process hub: tshub's additions from TOKENS.md (inactive list, limits,
// maximum lifetime, scopes from the config, group-filtered token scopes). Compatibility: test/api-tokens.test.ts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestHub } from './harness.ts';
import { startInProcessHub } from './inprocess.ts';
import { issueToken } from '../src/tokens/issue.ts';
import { addOAuthClient, hubIssued, tokensPath, userId } from './token-helpers.ts';

describe('token API: inactive tokens are listed apart, never silently deleted', () => {
  let h: TestHub;
  before(async () => {
    h = await startInProcessHub({ tokens: { max_active_per_user: 0 } });
    await h.addUsers(['gil']);
  });
  after(() => h.stop());

  test('?include_inactive=1 shows revoked, rotated and expired tokens under inactive_tokens', async () => {
    const mk = async (body: Record<string, unknown>) => (await h.request('POST', tokensPath('gil'), { body })).json;
    const keep = await mk({ note: 'keep' });
    const revoked = await mk({ note: 'revoked' });
    const rotated = await mk({ note: 'rotated' });
    const expired = await mk({ note: 'expired', expires_in: 1 });
    assert.equal((await h.request('DELETE', tokensPath('gil', `/${revoked.id}`))).status, 204);
    const rot = await h.request('POST', tokensPath('gil', `/${rotated.id}/rotate`), { body: {} });
    assert.equal(rot.status, 201, rot.text);
    await new Promise((res) => setTimeout(res, 1100));

    const active = await h.request('GET', tokensPath('gil'));
    assert.equal(active.status, 200);
    const ids = (list: { id: string }[]) => list.map((t) => t.id).sort();
    assert.deepEqual(ids(active.json.api_tokens), [keep.id, rot.json.id].sort());
    assert.equal(active.json.inactive_tokens, undefined);
    for (const flag of ['0', 'false']) {
      const off = await h.request('GET', `${tokensPath('gil')}?include_inactive=${flag}`);
      assert.equal(off.json.inactive_tokens, undefined);
    }

    const all = await h.request('GET', `${tokensPath('gil')}?include_inactive=1`);
    assert.deepEqual(ids(all.json.api_tokens), ids(active.json.api_tokens));
    assert.deepEqual(ids(all.json.inactive_tokens), [revoked.id, rotated.id, expired.id].sort());
    const byId = new Map(all.json.inactive_tokens.map((t: { id: string }) => [t.id, t]));
    const rv = byId.get(revoked.id) as Record<string, unknown>;
    assert.equal(typeof rv.revoked_at, 'string');
    assert.equal(rv.prefix, revoked.prefix);
    const rt = byId.get(rotated.id) as Record<string, unknown>;
    assert.equal(rt.revoked_at, null);
    assert.ok(Date.parse(rt.expires_at as string) <= Date.now());
    assert.equal(rot.json.rotated_from, rotated.id);
    const ex = byId.get(expired.id) as Record<string, unknown>;
    assert.ok(Date.parse(ex.expires_at as string) <= Date.now());
    for (const t of all.json.inactive_tokens) assert.equal('token' in t, false);

    // nothing was deleted
    const rows = await h.hub.ctx.k
      .selectFrom('api_tokens')
      .select('id')
      .where('user_id', '=', await userId(h, 'gil'))
      .execute();
    assert.equal(rows.length, 5);
  });
});

describe('token API: per-user limit', () => {
  let h: TestHub;
  before(async () => {
    h = await startInProcessHub({ api_tokens: { 'config-token-of-hal-0123': 'hal' } });
    await h.addUsers(['ivy', 'jon']);
  });
  after(() => h.stop());

  test('the 6th personal token → 400 saying to revoke one; after revoking one, creating works again', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await h.request('POST', tokensPath('ivy'), { body: { note: `t${i}` } });
      assert.equal(r.status, 201, r.text);
      ids.push(r.json.id);
    }
    const sixth = await h.request('POST', tokensPath('ivy'), { body: {} });
    assert.equal(sixth.status, 400);
    assert.match(sixth.json.message, /revoke/i);
    assert.match(sixth.json.message, /5/);
    // the user's own request is refused the same way
    const ivy = await h.request('POST', tokensPath('ivy'), {
      token: null,
      body: { auth: { username: 'ivy', password: 'x' } },
    });
    assert.equal(ivy.status, 400);
    assert.equal((await h.request('DELETE', tokensPath('ivy', `/${ids[0]}`))).status, 204);
    const again = await h.request('POST', tokensPath('ivy'), { body: {} });
    assert.equal(again.status, 201, again.text);
    assert.equal((await h.request('POST', tokensPath('ivy'), { body: {} })).status, 400);
  });

  test('expired tokens free their place', async () => {
    const ids = [];
    for (let i = 0; i < 5; i++)
      ids.push((await h.request('POST', tokensPath('jon'), { body: { expires_in: i === 0 ? 1 : null } })).json.id);
    assert.equal((await h.request('POST', tokensPath('jon'), { body: {} })).status, 400);
    await new Promise((res) => setTimeout(res, 1100));
    assert.equal((await h.request('POST', tokensPath('jon'), { body: {} })).status, 201);
  });

  test('server, OAuth and config tokens do not count', async () => {
    await h.addUsers(['kim']);
    await addOAuthClient(h, 'service-x', 'X');
    for (let i = 0; i < 3; i++) await hubIssued(h, 'kim', 'server');
    for (let i = 0; i < 3; i++) await hubIssued(h, 'kim', 'oauth', 'service-x');
    for (let i = 0; i < 5; i++) assert.equal((await h.request('POST', tokensPath('kim'), { body: {} })).status, 201);
    assert.equal((await h.request('POST', tokensPath('kim'), { body: {} })).status, 400);
    // hal has a token from config, which is not one of the five
    for (let i = 0; i < 5; i++) assert.equal((await h.request('POST', tokensPath('hal'), { body: {} })).status, 201);
    assert.equal((await h.request('POST', tokensPath('hal'), { body: {} })).status, 400);
    assert.equal((await h.request('GET', 'hub/api/user', { token: 'config-token-of-hal-0123' })).json.name, 'hal');
  });

  test('20 concurrent creates cannot exceed the limit', async () => {
    await h.addUsers(['lee']);
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) => h.request('POST', tokensPath('lee'), { body: { note: `parallel ${i}` } })),
    );
    const codes = replies.map((r) => r.status);
    assert.equal(codes.filter((c) => c === 201).length, 5, codes.join(','));
    assert.equal(codes.filter((c) => c === 400).length, 15, codes.join(','));
    const list = await h.request('GET', tokensPath('lee'));
    assert.equal(list.json.api_tokens.length, 5);
  });
});

describe('token API: lifetime settings', () => {
  test('expires_in_max_seconds: absent or null → the maximum; above it → 400; below → as asked', async () => {
    const h = await startInProcessHub({ tokens: { expires_in_max_seconds: 3600 } });
    try {
      for (const body of [{}, { expires_in: null }, { expires_in: 0 }]) {
        const t0 = Date.now();
        const r = await h.request('POST', tokensPath('admin'), { body });
        assert.equal(r.status, 201, r.text);
        const delta = Date.parse(r.json.expires_at) - t0;
        assert.ok(Math.abs(delta - 3_600_000) < 5000, `${JSON.stringify(body)}: ${delta}`);
      }
      const over = await h.request('POST', tokensPath('admin'), { body: { expires_in: 3601 } });
      assert.equal(over.status, 400);
      assert.match(over.json.message, /must not exceed 3600/);
      const under = await h.request('POST', tokensPath('admin'), { body: { expires_in: 60 } });
      assert.equal(under.status, 201);
      assert.ok(Math.abs(Date.parse(under.json.expires_at) - Date.now() - 60_000) < 5000);
    } finally {
      await h.stop();
    }
  });

  test('default_expires_in applies when none is named; null still means never without a maximum', async () => {
    const h = await startInProcessHub({ tokens: { default_expires_in: 600, max_active_per_user: 0 } });
    try {
      const dflt = await h.request('POST', tokensPath('admin'), { body: {} });
      assert.ok(Math.abs(Date.parse(dflt.json.expires_at) - Date.now() - 600_000) < 5000);
      const never = await h.request('POST', tokensPath('admin'), { body: { expires_in: null } });
      assert.equal(never.json.expires_at, null);
    } finally {
      await h.stop();
    }
  });

  test('max_active_per_user: 0 means no limit', async () => {
    const h = await startInProcessHub({ tokens: { max_active_per_user: 0 } });
    try {
      for (let i = 0; i < 8; i++)
        assert.equal((await h.request('POST', tokensPath('admin'), { body: {} })).status, 201);
    } finally {
      await h.stop();
    }
  });
});

describe('token API: scopes that come from the config', () => {
  let h: TestHub;
  before(async () => {
    h = await startInProcessHub({
      custom_scopes: { 'custom:grades:read': { description: 'Read grades' } },
      load_roles: [
        { name: 'grader', scopes: ['custom:grades:read', 'self'], users: ['ora'] },
        { name: 'group-reader', scopes: ['read:groups'], groups: ['readers'] },
      ],
      services: [{ name: 'gradebook', url: 'http://127.0.0.1:9/' }],
    });
  });
  after(() => h.stop());

  test('a custom scope the owner holds can be given to a token; one it lacks cannot', async () => {
    const r = await h.request('POST', tokensPath('ora'), { body: { scopes: ['custom:grades:read'] } });
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(r.json.scopes, ['custom:grades:read', 'read:users:groups!user=ora', 'read:users:name!user=ora']);
    const who = await h.request('GET', 'hub/api/user', { token: r.json.token });
    assert.equal(who.status, 200, who.text);
    assert.equal(who.json.name, 'ora');
    const inherit = await h.request('POST', tokensPath('ora'), { body: {} });
    assert.equal(inherit.status, 201, inherit.text);
    assert.equal((await h.request('GET', 'hub/api/user', { token: inherit.json.token })).status, 200);
    assert.equal(
      (await h.request('POST', tokensPath('admin'), { body: { scopes: ['custom:grades:read'] } })).status,
      400,
    );
    assert.equal(
      (await h.request('POST', tokensPath('admin'), { body: { scopes: ['custom:grades:write'] } })).status,
      400,
    );
  });

  test('requests made with such a token hold the custom scope', async () => {
    const r = await h.request('POST', tokensPath('ora'), { body: { scopes: ['custom:grades:read'] } });
    const who = await h.request('GET', 'hub/api/user', { token: r.json.token });
    assert.ok(who.json.scopes.includes('custom:grades:read'), who.json.scopes.join(' '));
  });

  test('scopes held through a group role may be given to a token (upstream test_get_new_token_via_api)', async () => {
    await h.addUsers(['pat']);
    assert.equal((await h.request('POST', 'hub/api/groups/readers/users', { body: { users: ['ora'] } })).status, 200);
    const r = await h.request('POST', tokensPath('ora'), { body: { scopes: ['read:groups'] } });
    assert.equal(r.status, 201, r.text);
    assert.ok(r.json.scopes.includes('read:groups'), r.json.scopes.join(' '));
    assert.equal((await h.request('GET', 'hub/api/groups/readers', { token: r.json.token })).status, 200);
    assert.equal((await h.request('POST', tokensPath('pat'), { body: { scopes: ['read:groups'] } })).status, 400);
  });

  test('an OAuth token may also reach the service that issued it, if its owner may', async () => {
    const svc = await h.hub.ctx.k
      .selectFrom('services')
      .select('oauth_client_id')
      .where('name', '=', 'gradebook')
      .executeTakeFirstOrThrow();
    assert.equal(svc.oauth_client_id, 'service-gradebook');
    const { token } = await issueToken(h.hub.ctx.k, h.hub.ctx.db.kind, {
      owner: { kind: 'user', id: await userId(h, 'admin') },
      kind: 'oauth',
      note: 'oauth',
      scopes: [],
      expiresIn: 3600,
      clientId: 'service-gradebook',
    });
    const who = await h.request('GET', 'hub/api/user', { token });
    assert.deepEqual(who.json.scopes, [
      'access:services!service=gradebook',
      'read:users:groups!user=admin',
      'read:users:name!user=admin',
    ]);
    // ora does not hold access:services, so her OAuth token does not get it either
    const ora = await issueToken(h.hub.ctx.k, h.hub.ctx.db.kind, {
      owner: { kind: 'user', id: await userId(h, 'ora') },
      kind: 'oauth',
      note: 'oauth',
      scopes: [],
      expiresIn: 3600,
      clientId: 'service-gradebook',
    });
    const whoOra = await h.request('GET', 'hub/api/user', { token: ora.token });
    assert.deepEqual(whoOra.json.scopes, ['read:users:groups!user=ora', 'read:users:name!user=ora']);
    const list = await h.request('GET', tokensPath('admin'));
    const model = list.json.api_tokens.find((t: { note: string }) => t.note === 'oauth');
    assert.ok(model.scopes.includes('access:services!service=gradebook'), model.scopes.join(' '));
  });
});

describe('token API: tokens managed through a group-filtered scope', () => {
  let h: TestHub;
  before(async () => {
    h = await startInProcessHub({
      load_roles: [{ name: 'team-tokens', scopes: ['tokens!group=team'], users: ['lead'] }],
    });
    await h.addUsers(['member', 'outsider']);
    assert.equal((await h.request('POST', 'hub/api/groups/team', { body: { users: ['member'] } })).status, 201);
  });
  after(() => h.stop());

  test("`tokens!group=team` creates tokens for the team's members only, and follows membership changes", async () => {
    const lead = await h.tokenFor('lead');
    const forMember = await h.request('POST', tokensPath('member'), { token: lead, body: { note: 'by lead' } });
    assert.equal(forMember.status, 201, forMember.text);
    assert.equal(forMember.json.user, 'member');
    assert.equal((await h.request('POST', tokensPath('outsider'), { token: lead, body: {} })).status, 403);
    assert.equal((await h.request('POST', 'hub/api/groups/team/users', { body: { users: ['outsider'] } })).status, 200);
    assert.equal((await h.request('POST', tokensPath('outsider'), { token: lead, body: {} })).status, 201);
  });
});
