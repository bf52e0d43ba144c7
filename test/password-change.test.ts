// Changing a password on /hub/change-password (the user, current password required) and
// /hub/change-password/<name> (admins), on the in-process hub: the policy, XSRF, the throttle, who may, and
// that every other session of the user ends.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { passwordHashFor, verifyPassword } from '../src/auth/passwords.ts';
import { Browser } from './browser-session.ts';
import type { TestHub } from './harness.ts';
import { startInProcessHub } from './inprocess.ts';
import { formXsrf, setPassword, signedIn } from './password-helpers.ts';

function change(b: Browser, xsrf: string, fields: Record<string, string>, path = 'hub/change-password') {
  const confirmation = fields.new_password_confirmation ?? fields.new_password ?? '';
  return b.request('POST', path, { form: { _xsrf: xsrf, new_password_confirmation: confirmation, ...fields } });
}

describe('change password', () => {
  let h: TestHub;
  let admin: Browser;
  before(async () => {
    h = await startInProcessHub(
      { authenticator: { class: 'password', login_throttle: { max_failures: 3, window_seconds: 60 } } },
      { listen: true },
    );
    await h.addUsers(['cal', 'dan', 'eve']);
    for (const [name, pw] of [
      ['admin', 'admin-password-1'],
      ['cal', 'cal-password-1'],
      ['dan', 'dan-password-1'],
      ['eve', 'eve-password-1'],
    ] as const)
      await setPassword(h, name, pw);
    admin = await signedIn(h, 'admin', 'admin-password-1');
  });
  after(() => h.stop());

  test('the user changes their own: current password, policy, XSRF; other browsers are signed out', async () => {
    const elsewhere = await signedIn(h, 'cal', 'cal-password-1');
    const b = await signedIn(h, 'cal', 'cal-password-1');
    const xsrf = await formXsrf(b, 'hub/change-password');
    const wrong = await change(b, xsrf, { old_password: 'not-it', new_password: 'cal-password-2' });
    assert.equal(wrong.status, 403);
    assert.match(wrong.text, /current password is not correct/);
    const differ = await change(b, xsrf, {
      old_password: 'cal-password-1',
      new_password: 'cal-password-2',
      new_password_confirmation: 'cal-password-3',
    });
    assert.equal(differ.status, 400);
    assert.match(
      (await change(b, xsrf, { old_password: 'cal-password-1', new_password: 'iloveyou' })).text,
      /too common/,
    );
    assert.match((await change(b, xsrf, { old_password: 'cal-password-1', new_password: 'short' })).text, /at least 8/);
    const forged = await change(b, 'forged', { old_password: 'cal-password-1', new_password: 'cal-password-2' });
    assert.equal(forged.status, 403);
    await signedIn(h, 'cal', 'cal-password-1');

    const ok = await change(b, xsrf, { old_password: 'cal-password-1', new_password: 'cal-password-2' });
    assert.equal(ok.status, 303, ok.text);
    const here = await b.get('hub/change-password?changed=1');
    assert.equal(here.status, 200, 'this browser stays signed in');
    assert.match(here.text, /Your password was changed/);
    const home = await b.get('hub/home');
    assert.match(home.text, /href="\/hub\/change-password">Change password</, 'every page links the form');
    assert.doesNotMatch(home.text, /href="\/hub\/2fa"/, 'no second-factor link without allow_2fa');
    const there = await elsewhere.get('hub/home');
    assert.equal(there.status, 302, 'the other browser is signed out');
    assert.match(there.location ?? '', /\/hub\/login/);
    assert.equal((await new Browser(h).login('cal', 'cal-password-1')).status, 403);
    await signedIn(h, 'cal', 'cal-password-2');
  });

  test('guessing the current password is throttled like a login', async () => {
    const b = await signedIn(h, 'eve', 'eve-password-1');
    const xsrf = await formXsrf(b, 'hub/change-password');
    for (let i = 0; i < 3; i++)
      assert.equal((await change(b, xsrf, { old_password: `guess-${i}`, new_password: 'eve-password-2' })).status, 403);
    const refused = await change(b, xsrf, { old_password: 'eve-password-1', new_password: 'eve-password-2' });
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers.get('retry-after')) >= 1);
    const stored = await passwordHashFor(h.hub.ctx.k, 'eve');
    assert.equal(await verifyPassword(stored?.hash ?? null, 'eve-password-1'), true, 'nothing changed');
  });

  test("only admins set another user's password, without the current one; its sessions end", async () => {
    const dan = await signedIn(h, 'dan', 'dan-password-1');
    const danXsrf = await formXsrf(dan, 'hub/change-password');
    assert.equal((await dan.get('hub/change-password/cal')).status, 403);
    const refused = await change(dan, danXsrf, { new_password: 'taken-over-1' }, 'hub/change-password/cal');
    assert.equal(refused.status, 403);
    assert.equal((await new Browser(h).login('cal', 'taken-over-1')).status, 403);
    assert.equal((await new Browser(h).request('POST', 'hub/change-password/cal', { form: {} })).status, 403);

    const xsrf = await formXsrf(admin, 'hub/change-password/dan');
    assert.equal(
      (await change(admin, 'forged', { new_password: 'dan-password-2' }, 'hub/change-password/dan')).status,
      403,
    );
    const ok = await change(admin, xsrf, { new_password: 'dan-password-2' }, 'hub/change-password/dan');
    assert.equal(ok.status, 200, ok.text);
    assert.match(ok.text, /The password of dan was changed/);
    assert.equal((await dan.get('hub/home')).status, 302, "dan's session ended");
    assert.equal((await admin.get('hub/home')).status, 200, "the admin's did not");
    await signedIn(h, 'dan', 'dan-password-2');
    assert.equal((await admin.get('hub/change-password/nobody')).status, 404);
  });
});
