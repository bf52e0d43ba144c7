// The password authenticator's second factor (authenticator.allow_2fa), on the in-process hub: enrolling at
// sign-up and on /hub/2fa, codes at login (missing, wrong, replayed, brute-forced), the secret encrypted.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { generate } from 'otplib';
import { cryptKeeperForHub } from '../src/auth/auth-state/index.ts';
import { createLogger } from '../src/lib/logger.ts';
import { findUser } from '../src/repo/users.ts';
import { Browser } from './browser-session.ts';
import type { TestHub } from './harness.ts';
import { startInProcessHub } from './inprocess.ts';
import { formXsrf, setPassword, signedIn, signup } from './password-helpers.ts';

function shownSecret(html: string): string {
  const m = /id="totp_secret" readonly value="([A-Z2-7]+)"/.exec(html);
  assert.ok(m, 'the page shows the secret');
  return m[1]!;
}

/** The code of the step `offset` steps from now. */
const code = (secret: string, offset = 0) => generate({ secret, epoch: Math.floor(Date.now() / 1000) + offset * 30 });

async function login(h: TestHub, name: string, password: string, twofa?: string) {
  const b = new Browser(h);
  const form = await b.get('hub/login');
  const fields: Record<string, string> = { _xsrf: Browser.xsrfField(form.text), username: name, password };
  if (twofa !== undefined) fields['2fa'] = twofa;
  return b.request('POST', 'hub/login', { form: fields });
}

test('allow_2fa without JUPYTERHUB_CRYPT_KEY stops the start, naming the key', () => {
  assert.throws(
    () => cryptKeeperForHub({ enable_auth_state: false, allow_2fa: true }, {}, createLogger('error')),
    /allow_2fa is on, but encryption is not available: .*JUPYTERHUB_CRYPT_KEY/,
  );
  assert.equal(
    cryptKeeperForHub({ enable_auth_state: false, allow_2fa: false }, {}, createLogger('error')).keyCount,
    0,
  );
});

describe('two-factor authentication', () => {
  let h: TestHub;
  let tiaSecret: string;
  before(async () => {
    h = await startInProcessHub(
      {
        authenticator: {
          class: 'password',
          enable_signup: true,
          open_signup: true,
          allow_2fa: true,
          login_throttle: { max_failures: 6, window_seconds: 60 },
        },
      },
      { listen: true },
    );
  });
  after(() => h.stop());

  test('a sign-up asks for it: the secret and otpauth URI are shown once, and stored encrypted', async () => {
    assert.match((await new Browser(h).get('hub/login')).text, /name="2fa"/);
    const r = await signup(h, 'tia', 'tia-password-1', { '2fa': 'on' });
    assert.equal(r.status, 201, r.text);
    tiaSecret = shownSecret(r.text);
    assert.match(r.text, /otpauth:\/\/totp\/127\.0\.0\.1:tia\?secret=[A-Z2-7]+&amp;issuer=127\.0\.0\.1/);
    const user = (await findUser(h.hub.ctx.k, 'tia'))!;
    const row = await h.hub.ctx.k
      .selectFrom('user_passwords')
      .selectAll()
      .where('user_id', '=', user.id)
      .executeTakeFirstOrThrow();
    assert.match(row.otp_secret ?? '', /^gAAAAA/, 'Fernet ciphertext');
    assert.ok(!row.otp_secret!.includes(tiaSecret));
  });

  test('login needs the code: missing or wrong fails like a wrong password; a code is accepted once', async () => {
    for (const c of [undefined, '000000', 'abcdef']) {
      const r = await login(h, 'tia', 'tia-password-1', c);
      assert.equal(r.status, 403, `code ${c}`);
      assert.match(r.text, /Invalid username or password/);
    }
    const now = await code(tiaSecret);
    assert.equal((await login(h, 'tia', 'tia-password-1', now)).status, 302);
    const replay = await login(h, 'tia', 'tia-password-1', now);
    assert.equal(replay.status, 403, 'the same code again is refused');
    assert.match(replay.text, /Invalid username or password/);
    // The next step's code (within the tolerance) is a new code: accepted once too.
    assert.equal((await login(h, 'tia', 'tia-password-1', await code(tiaSecret, 1))).status, 302);
    // A token request with the password alone does not get round the second factor.
    const token = await h.request('POST', 'hub/api/users/tia/tokens', {
      token: null,
      body: { auth: { username: 'tia', password: 'tia-password-1' } },
    });
    assert.equal(token.status, 403);
  });

  test('guessing codes is throttled with the password failures', async () => {
    await setPassword(h, 'admin', 'admin-password-1');
    const r = await signup(h, 'vic', 'vic-password-1', { '2fa': 'on' });
    const secret = shownSecret(r.text);
    for (let i = 0; i < 6; i++) assert.equal((await login(h, 'vic', 'vic-password-1', `12345${i}`)).status, 403);
    const throttled = await login(h, 'vic', 'vic-password-1', await code(secret));
    assert.equal(throttled.status, 429, 'even the right code waits');
  });

  test('/hub/2fa turns it on with a confirming code, and off with a current one', async () => {
    await h.addUsers(['uma']);
    await setPassword(h, 'uma', 'uma-password-1');
    const b = await signedIn(h, 'uma', 'uma-password-1');
    assert.match((await b.get('hub/home')).text, /href="\/hub\/2fa">Two-factor</, 'every page links the setting');
    const page = await b.get('hub/2fa');
    assert.equal(page.status, 200);
    const secret = shownSecret(page.text);
    const offer = /name="offer" value="([^"]+)"/.exec(page.text)![1]!;
    const xsrf = await formXsrf(b, 'hub/home');
    const post = (form: Record<string, string>) => b.request('POST', 'hub/2fa', { form: { _xsrf: xsrf, ...form } });

    assert.equal((await b.request('POST', 'hub/2fa', { form: { offer, code: await code(secret) } })).status, 403);
    const wrong = await post({ offer, code: '000000' });
    assert.equal(wrong.status, 400);
    assert.equal(shownSecret(wrong.text), secret, 'the same secret is shown again');
    // Another user's offer (sealed for tia) or a tampered one cannot be confirmed here.
    const tampered = await post({ offer: `${offer.slice(0, -4)}AAAA`, code: await code(secret) });
    assert.equal(tampered.status, 400);
    assert.equal((await login(h, 'uma', 'uma-password-1')).status, 302, 'still off');

    const on = await post({ offer, code: await code(secret) });
    assert.equal(on.status, 200, on.text);
    assert.match(on.text, /is on/);
    assert.equal((await login(h, 'uma', 'uma-password-1')).status, 403, 'now the code is needed');
    assert.equal(
      (await login(h, 'uma', 'uma-password-1', await code(secret))).status,
      403,
      'the enrolling code is used',
    );

    assert.equal((await post({ action: 'disable', code: '000000' })).status, 400);
    assert.equal((await post({ action: 'disable', code: await code(secret, -1) })).status, 400, 'an older step');
    const off = await post({ action: 'disable', code: await code(secret, 1) });
    assert.equal(off.status, 200, off.text);
    assert.match(off.text, /is off/);
    assert.equal((await login(h, 'uma', 'uma-password-1')).status, 302, 'no code needed any more');
  });

  test('admins (only) turn it off for a user who lost their device, with the XSRF token', async () => {
    const r = await signup(h, 'wes', 'wes-password-1', { '2fa': 'on' });
    assert.equal(r.status, 201);
    assert.equal((await login(h, 'wes', 'wes-password-1')).status, 403, 'the code is needed');
    const uma = await signedIn(h, 'uma', 'uma-password-1');
    assert.equal((await uma.get('hub/2fa/wes')).status, 403);
    const umaXsrf = await formXsrf(uma);
    assert.equal((await uma.request('POST', 'hub/2fa/wes', { form: { _xsrf: umaXsrf } })).status, 403);
    const admin = await signedIn(h, 'admin', 'admin-password-1');
    const page = await admin.get('hub/2fa/wes');
    assert.match(page.text, /wes signs in with a second factor/);
    assert.equal((await admin.request('POST', 'hub/2fa/wes', { form: { _xsrf: 'forged' } })).status, 403);
    assert.equal((await login(h, 'wes', 'wes-password-1')).status, 403, 'still on');
    const off = await admin.request('POST', 'hub/2fa/wes', { form: { _xsrf: await formXsrf(admin) } });
    assert.equal(off.status, 200, off.text);
    assert.match(off.text, /off for wes/);
    assert.equal((await login(h, 'wes', 'wes-password-1')).status, 302);
    assert.equal((await admin.get('hub/2fa/nobody')).status, 404);
  });
});

test('a second factor chosen at a sign-up that waits for approval is there once approved', async () => {
  const h = await startInProcessHub(
    { authenticator: { class: 'password', enable_signup: true, allow_2fa: true } },
    { listen: true },
  );
  try {
    const r = await signup(h, 'max', 'max-password-1', { '2fa': 'on' });
    assert.equal(r.status, 202, r.text);
    const secret = shownSecret(r.text);
    assert.equal((await login(h, 'max', 'max-password-1', await code(secret))).status, 403, 'waiting');
    assert.equal((await h.request('POST', 'hub/api/signups/max')).status, 201);
    assert.equal((await login(h, 'max', 'max-password-1')).status, 403, 'the code is needed');
    assert.equal((await login(h, 'max', 'max-password-1', await code(secret))).status, 302);
  } finally {
    await h.stop();
  }
});
