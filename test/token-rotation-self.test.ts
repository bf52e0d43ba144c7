// Rotating the token in hand (`tokens/self/rotate`) and retire_on_use, on the in-process hub. Rotation by
// id with a grace period: token-lifecycle-rotation.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Browser } from './browser-session.ts';
import type { TestHub } from './harness.ts';
import { startInProcessHub } from './inprocess.ts';
import { assertRefused, serverToken, tokensPath, whoami } from './token-helpers.ts';

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));
const selfRotate = (user: string) => tokensPath(user, '/self/rotate');

describe('tokens/self/rotate and retire_on_use', () => {
  let h: TestHub;
  before(async () => {
    h = await startInProcessHub({}, { listen: true });
    await h.addUsers(['kim', 'lee']);
  });
  after(() => h?.stop());

  test('a token rotates itself, with no scope at all: the new one keeps note, scopes, lifetime; the old one ends after the grace', async () => {
    const old = (
      await h.request('POST', tokensPath('kim'), {
        body: { note: 'cron', scopes: ['read:users!user'], expires_in: 3600 },
      })
    ).json;
    const r = await h.request('POST', selfRotate('kim'), { token: old.token, body: { grace_seconds: 1 } });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.note, 'cron');
    assert.equal(r.json.rotated_from, old.id);
    assert.deepEqual(r.json.scopes, old.scopes);
    const lifetime = Date.parse(r.json.expires_at) - Date.parse(r.json.created);
    assert.ok(Math.abs(lifetime - 3_600_000) < 2000, String(lifetime));
    assert.equal((await whoami(h, old.token)).status, 200, 'within grace');
    await sleep(1100);
    await assertRefused(h, old.token, 'token_rotated');
    assert.equal((await whoami(h, r.json.token)).status, 200);
    const audit = await h.request('GET', 'hub/api/audit?action=token.rotate');
    assert.ok(audit.text.includes(`replaced by ${r.json.id}`), audit.text);
  });

  test('grace 0 by default; a rotated-out token cannot rotate itself again', async () => {
    const old = (await h.request('POST', tokensPath('kim'), { body: {} })).json;
    const r = await h.request('POST', selfRotate('kim'), { token: old.token });
    assert.equal(r.status, 201, r.text);
    await assertRefused(h, old.token, 'token_rotated');
    const again = await h.request('POST', selfRotate('kim'), { token: old.token });
    assert.equal(again.status, 403);
    assert.equal(again.json.reason, 'token_rotated');
  });

  test('refusals: another user’s path, a browser session, an admin token on someone else, a server token, bad bodies', async () => {
    const kims = (await h.request('POST', tokensPath('kim'), { body: {} })).json;
    const other = await h.request('POST', selfRotate('lee'), { token: kims.token });
    assert.equal(other.status, 404, other.text);
    assert.equal(other.json.reason, 'not_found');
    const nobody = await h.request('POST', selfRotate('nobody'), { token: kims.token });
    assert.equal(nobody.status, 404);
    // The admin token is not lee's either: self never means "some token of this user".
    assert.equal((await h.request('POST', selfRotate('lee'))).status, 404);

    const b = new Browser(h);
    await b.login('lee');
    const xsrf = Browser.jhdata((await b.get('hub/home')).text).xsrf_token;
    const session = await b.request('POST', `hub/api/users/lee/tokens/self/rotate`, {
      headers: { 'content-type': 'application/json', 'x-xsrftoken': xsrf },
      body: '{}',
    });
    assert.equal(session.status, 400, session.text);
    assert.equal(JSON.parse(session.text).reason, 'no_token_in_hand');

    const st = await serverToken(h, 'lee');
    const server = await h.request('POST', selfRotate('lee'), { token: st });
    assert.equal(server.status, 400, server.text);
    assert.equal(server.json.reason, 'token_not_rotatable');

    for (const body of [{ grace_seconds: -1 }, { grace_seconds: 10 ** 9 }, { retire_on_use: 'yes' }, { extra: 1 }]) {
      const bad = await h.request('POST', selfRotate('kim'), { token: kims.token, body });
      assert.equal(bad.status, 400, JSON.stringify(body));
      assert.equal(bad.json.reason, 'invalid_request');
    }
    assert.equal((await whoami(h, kims.token)).status, 200, 'a refused rotation leaves the token alone');
  });

  test('retire_on_use: the old token works until the new one is first used, then 403 at once', async () => {
    const old = (await h.request('POST', tokensPath('lee'), { body: { note: 'deploy' } })).json;
    const r = await h.request('POST', selfRotate('lee'), { token: old.token, body: { retire_on_use: true } });
    assert.equal(r.status, 201, r.text);
    for (let i = 0; i < 3; i++) assert.equal((await whoami(h, old.token)).status, 200, 'old works before first use');
    const first = await whoami(h, r.json.token);
    assert.equal(first.status, 200);
    await assertRefused(h, old.token, 'token_rotated');
    assert.equal((await whoami(h, r.json.token)).status, 200, 'the new one goes on working');
    const audit = await h.request('GET', 'hub/api/audit?action=token.retire');
    assert.equal(audit.status, 200, audit.text);
    assert.ok(JSON.stringify(audit.json).includes(old.id), audit.text);
  });

  test('retire_on_use by id (the API and the page’s route) and bounded by grace_seconds when the new token is never used', async () => {
    const old = (await h.request('POST', tokensPath('kim'), { body: {} })).json;
    const r = await h.request('POST', tokensPath('kim', `/${old.id}/rotate`), {
      body: { retire_on_use: true, grace_seconds: 1 },
    });
    assert.equal(r.status, 201, r.text);
    assert.equal((await whoami(h, old.token)).status, 200);
    await sleep(1100);
    await assertRefused(h, old.token, 'token_rotated');
  });
});
