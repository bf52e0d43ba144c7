// A token's life against the in-process hub (TOKENS.md): rotation with a grace period, batched activity and
// config tokens. Refusals and revocation: token-lifecycle.test.ts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestHub } from './harness.ts';
import { startInProcessHub } from './inprocess.ts';
import { generateToken } from '../src/tokens/format.ts';
import { issueToken } from '../src/tokens/issue.ts';
import { assertRefused, instrument, serverToken, tokensPath, userId, whoami } from './token-helpers.ts';

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

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
    assert.match(fresh.token, /^tshub_p_[0-9A-Za-z]{42}$/);
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
