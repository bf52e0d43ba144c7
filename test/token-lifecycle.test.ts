// A token's life against the in-process hub (TOKENS.md): why a credential is refused, revocation that applies to
// the very next request, rotation with a grace period, batched activity and config tokens (`tshub token`, a real
// process: token-lifecycle-e2e.test.ts).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KyselyPlugin } from 'kysely';
import type { TestHub } from './harness.ts';
import { startInProcessHub } from './inprocess.ts';
import { ActivityRecorder } from '../src/auth/activity.ts';
import { TokenIdentifier } from '../src/auth/identify-token.ts';
import { PrincipalCache } from '../src/auth/principal-cache.ts';
import { generateToken } from '../src/tokens/format.ts';
import { issueToken } from '../src/tokens/issue.ts';

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

function tokensPath(user: string, rest = ''): string {
  return `hub/api/users/${encodeURIComponent(user)}/tokens${rest}`;
}

async function whoami(h: TestHub, token: string) {
  return h.request('GET', 'hub/api/user', { token });
}

async function assertRefused(h: TestHub, token: string, reason: string): Promise<void> {
  const r = await whoami(h, token);
  assert.equal(r.status, 403, `${reason}: ${r.text}`);
  assert.deepEqual(r.json, { status: 403, message: 'Missing or invalid credentials.', reason });
}

async function userId(h: TestHub, name: string): Promise<number> {
  return (await h.hub.ctx.k.selectFrom('users').select('id').where('name', '=', name).executeTakeFirstOrThrow()).id;
}

async function serverToken(h: TestHub, user: string): Promise<string> {
  const { token } = await issueToken(h.hub.ctx.k, h.hub.ctx.db.kind, {
    owner: { kind: 'user', id: await userId(h, user) },
    kind: 'server',
    note: `Server at /user/${user}/`,
    scopes: ['inherit'],
    expiresIn: null,
  });
  return token;
}

/**
 * Routes every database access of request handling through a Kysely plugin that records each query's kind:
 * the context's database handle, token lookup, principal resolution and the activity recorder are replaced
 * by instances on the instrumented handle. The recorder is left stopped, so it writes only when flushed.
 */
function instrument(h: TestHub) {
  const ctx = h.hub.ctx;
  const kinds: string[] = [];
  const plugin: KyselyPlugin = {
    transformQuery: ({ node }) => {
      kinds.push(node.kind);
      return node;
    },
    transformResult: async ({ result }) => result,
  };
  const saved = { k: ctx.k, identifier: ctx.identifier, principals: ctx.principals, activity: ctx.activity };
  const k = ctx.k.withPlugin(plugin);
  ctx.k = k;
  ctx.identifier = new TokenIdentifier(k, ctx.permissions);
  ctx.principals = new PrincipalCache(k, ctx.permissions);
  ctx.activity = new ActivityRecorder(k, ctx.log, ctx.config.activity_resolution);
  return {
    kinds,
    writes: () => kinds.filter((x) => x !== 'SelectQueryNode'),
    restore() {
      Object.assign(ctx, saved);
    },
  };
}

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

describe('rotation', () => {
  let h: TestHub;
  before(async () => {
    h = await startInProcessHub();
    await h.addUsers(['gus', 'hal']);
  });
  after(() => h.stop());

  test('the new token keeps note, scopes and lifetime; the old one works for grace_seconds, then token_rotated', async () => {
    const old = (
      await h.request('POST', tokensPath('gus'), {
        body: { note: 'ci deploy', scopes: ['read:users!user'], expires_in: 7200 },
      })
    ).json;
    const r = await h.request('POST', tokensPath('gus', `/${old.id}/rotate`), { body: { grace_seconds: 1 } });
    assert.equal(r.status, 201, r.text);
    const fresh = r.json;
    assert.match(fresh.token, /^tshub_[0-9A-Za-z]{38}$/);
    assert.notEqual(fresh.token, old.token);
    assert.notEqual(fresh.id, old.id);
    assert.equal(fresh.note, 'ci deploy');
    assert.deepEqual(fresh.scopes, old.scopes);
    assert.equal(fresh.rotated_from, old.id);
    const lifetime = (m: { created: string; expires_at: string }) => Date.parse(m.expires_at) - Date.parse(m.created);
    assert.ok(Math.abs(lifetime(fresh) - 7_200_000) < 2000, String(lifetime(fresh)));
    assert.ok(Date.parse(fresh.created) >= Date.parse(old.created));

    assert.equal((await whoami(h, fresh.token)).json.name, 'gus');
    assert.equal((await whoami(h, old.token)).status, 200, 'old token within grace');
    await sleep(1100);
    await assertRefused(h, old.token, 'token_rotated');
    assert.equal((await whoami(h, fresh.token)).status, 200);
  });

  test('grace 0 (the default) ends the old token at once; a never-expiring token stays never-expiring', async () => {
    const old = (await h.request('POST', tokensPath('gus'), { body: {} })).json;
    const r = await h.request('POST', tokensPath('gus', `/${old.id}/rotate`));
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.expires_at, null);
    await assertRefused(h, old.token, 'token_rotated');
  });

  test('a token may rotate itself', async () => {
    const self = (await h.request('POST', tokensPath('hal'), { body: { note: 'self' } })).json;
    const r = await h.request('POST', tokensPath('hal', `/${self.id}/rotate`), { token: self.token, body: {} });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.note, 'self');
    await assertRefused(h, self.token, 'token_rotated');
    assert.equal((await whoami(h, r.json.token)).json.name, 'hal');
    await h.request('DELETE', tokensPath('hal'));
  });

  test("refused: a revoked, expired or already rotated token, grace above the maximum, hub-made tokens, another user's token", async () => {
    const revoked = (await h.request('POST', tokensPath('hal'), { body: {} })).json;
    await h.request('DELETE', tokensPath('hal', `/${revoked.id}`));
    const r1 = await h.request('POST', tokensPath('hal', `/${revoked.id}/rotate`), { body: {} });
    assert.equal(r1.status, 400);
    assert.equal(r1.json.reason, 'token_revoked');

    const live = (await h.request('POST', tokensPath('hal'), { body: {} })).json;
    for (const grace_seconds of [604801, -1, 1.5, '10']) {
      const r = await h.request('POST', tokensPath('hal', `/${live.id}/rotate`), { body: { grace_seconds } });
      assert.equal(r.status, 400, `grace ${grace_seconds}`);
    }
    const within = await h.request('POST', tokensPath('hal', `/${live.id}/rotate`), {
      body: { grace_seconds: 604800 },
    });
    assert.equal(within.status, 201);
    // already rotated (still in its grace period): a second successor is refused
    const twice = await h.request('POST', tokensPath('hal', `/${live.id}/rotate`), { body: {} });
    assert.equal(twice.status, 400, twice.text);
    assert.equal((await whoami(h, live.token)).status, 200, 'still within its week of grace');

    const server = await serverToken(h, 'hal');
    const serverId = (await whoami(h, server)).json.token_id;
    assert.equal((await h.request('POST', tokensPath('hal', `/${serverId}/rotate`), { body: {} })).status, 400);

    const gus = await h.tokenFor('gus');
    assert.equal(
      (await h.request('POST', tokensPath('hal', `/${within.json.id}/rotate`), { token: gus, body: {} })).status,
      404,
    );
    assert.equal((await h.request('POST', tokensPath('gus', `/${within.json.id}/rotate`), { body: {} })).status, 404);
    await h.request('DELETE', tokensPath('hal'));
  });

  test('rotation works at the token limit (it replaces a token)', async () => {
    await h.addUsers(['ida']);
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await h.request('POST', tokensPath('ida'), { body: {} })).json.id);
    assert.equal((await h.request('POST', tokensPath('ida'), { body: {} })).status, 400);
    assert.equal((await h.request('POST', tokensPath('ida', `/${ids[0]}/rotate`), { body: {} })).status, 201);
    assert.equal((await h.request('POST', tokensPath('ida'), { body: {} })).status, 400);
  });

  test('a rotation never outlives the maximum lifetime', async () => {
    const capped = await startInProcessHub({ tokens: { expires_in_max_seconds: 600 } });
    try {
      const old = (await capped.request('POST', tokensPath('admin'), { body: { expires_in: 600 } })).json;
      // the setting was lowered after the token was made
      const longLived = await issueToken(capped.hub.ctx.k, capped.hub.ctx.db.kind, {
        owner: { kind: 'user', id: await userId(capped, 'admin') },
        kind: 'api',
        note: 'old',
        scopes: ['inherit'],
        expiresIn: null,
      });
      const r1 = await capped.request('POST', tokensPath('admin', `/${old.id}/rotate`), { body: {} });
      assert.ok(Math.abs(Date.parse(r1.json.expires_at) - Date.now() - 600_000) < 5000);
      const r2 = await capped.request('POST', tokensPath('admin', `/a${longLived.row.id}/rotate`), { body: {} });
      assert.equal(r2.status, 201);
      assert.ok(
        r2.json.expires_at !== null && Math.abs(Date.parse(r2.json.expires_at) - Date.now() - 600_000) < 5000,
        r2.json.expires_at,
      );
    } finally {
      await capped.stop();
    }
  });
});

describe('activity of tokens and their owners', () => {
  let h: TestHub;
  before(async () => {
    h = await startInProcessHub({ activity_resolution: 1 });
    await h.addUsers(['jan', 'kay']);
  });
  after(() => h.stop());

  const tokenModel = async (user: string, id: string) => (await h.request('GET', tokensPath(user, `/${id}`))).json;
  const userModel = async (user: string) => (await h.request('GET', `hub/api/users/${user}`)).json;

  test('last_activity and last_used_ip of the token and last_activity of its owner are recorded, at most once per resolution', async () => {
    const t = (await h.request('POST', tokensPath('jan'), { body: {} })).json;
    assert.equal((await userModel('jan')).last_activity, null);
    const t0 = Date.now();
    assert.equal((await whoami(h, t.token)).status, 200);
    await h.hub.ctx.activity.flush();
    const first = await tokenModel('jan', t.id);
    assert.ok(first.last_activity !== null && Date.parse(first.last_activity) >= t0 - 5, first.last_activity);
    assert.match(first.last_used_ip, /^(::ffff:)?127\.0\.0\.1$/);
    const owner = await userModel('jan');
    assert.ok(owner.last_activity !== null && Date.parse(owner.last_activity) >= t0 - 5, owner.last_activity);

    // within the resolution: not written again
    await whoami(h, t.token);
    await h.hub.ctx.activity.flush();
    assert.equal((await tokenModel('jan', t.id)).last_activity, first.last_activity);

    await sleep(1050);
    await whoami(h, t.token);
    await h.hub.ctx.activity.flush();
    const later = await tokenModel('jan', t.id);
    assert.ok(
      Date.parse(later.last_activity) > Date.parse(first.last_activity),
      `${later.last_activity} after ${first.last_activity}`,
    );
    assert.ok(Date.parse((await userModel('jan')).last_activity) > Date.parse(owner.last_activity));
  });

  test('the background flush writes without being asked', async () => {
    const t = (await h.request('POST', tokensPath('kay'), { body: {} })).json;
    await whoami(h, t.token);
    let seen = null;
    for (let i = 0; i < 30 && seen === null; i++) {
      await sleep(100);
      seen = (await tokenModel('kay', t.id)).last_activity;
    }
    assert.notEqual(seen, null);
  });

  test("a server's own token does not make its owner active (as upstream)", async () => {
    await h.addUsers(['lou']);
    const s = await serverToken(h, 'lou');
    assert.equal((await whoami(h, s)).status, 200);
    await h.hub.ctx.activity.flush();
    assert.equal((await userModel('lou')).last_activity, null);
  });

  test('authentication writes nothing to the database on the request path', async () => {
    const t = await h.tokenFor('kay');
    const probe = instrument(h);
    try {
      for (let i = 0; i < 3; i++) assert.equal((await whoami(h, t)).status, 200);
      assert.ok(probe.kinds.length > 0, 'requests were observed');
      assert.deepEqual(probe.writes(), []);
      await h.hub.ctx.activity.flush();
      assert.ok(probe.writes().includes('UpdateQueryNode'), 'the batched flush writes the activity');
    } finally {
      probe.restore();
    }
  });
});

describe('tokens from config', () => {
  let h: TestHub;
  const serviceToken = 'svc-loader-secret';
  const userToken = 'mia-config-tok';
  const generatedInConfig = generateToken();
  before(async () => {
    h = await startInProcessHub({
      services: [
        { name: 'loader', api_token: serviceToken },
        { name: 'pasted', api_token: generatedInConfig },
      ],
      api_tokens: { [userToken]: 'mia' },
    });
  });
  after(() => h.stop());

  test('service api_token and api_tokens work, with prefixes of 4 characters', async () => {
    const svc = await whoami(h, serviceToken);
    assert.equal(svc.status, 200, svc.text);
    assert.equal(svc.json.kind, 'service');
    assert.equal(svc.json.name, 'loader');
    const usr = await whoami(h, userToken);
    assert.equal(usr.json.kind, 'user');
    assert.equal(usr.json.name, 'mia');
    const list = await h.request('GET', tokensPath('mia'));
    assert.equal(list.json.api_tokens.length, 1);
    assert.equal(list.json.api_tokens[0].prefix, 'mia-');
    await assertRefused(h, 'svc-loader-secreT', 'token_unknown');
    await assertRefused(h, serviceToken.slice(0, 7), 'token_unknown');
  });

  test('a generated-format token pasted into the config works too', async () => {
    const r = await whoami(h, generatedInConfig);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.name, 'pasted');
  });

  test('a config token can be revoked like any other', async () => {
    const id = (await whoami(h, userToken)).json.token_id;
    assert.equal((await h.request('DELETE', tokensPath('mia', `/${id}`))).status, 204);
    await assertRefused(h, userToken, 'token_revoked');
  });
});
