import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import * as oauth from 'oauth4webapi';
import { chromium, type Browser as Chromium } from 'playwright-core';
import { upsertOAuthClient } from '../src/repo/oauth-clients.ts';
import { digestToken } from '../src/tokens/format.ts';
import { Browser } from './browser-session.ts';
import { startHub, type TestHub } from './harness.ts';
import { formXsrf, signedIn } from './password-helpers.ts';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const PASSWORD = 'the-shared-secret';
const client: oauth.Client = { client_id: 'tshub-cli' };
const insecure = { [oauth.allowInsecureRequests]: true };

function server(h: TestHub): oauth.AuthorizationServer {
  return {
    issuer: h.url,
    device_authorization_endpoint: new URL('hub/api/oauth2/device_authorization', h.url).href,
    token_endpoint: new URL('hub/api/oauth2/token', h.url).href,
  };
}

async function startLogin(h: TestHub, scope?: string): Promise<oauth.DeviceAuthorizationResponse> {
  const as = server(h);
  const res = await oauth.deviceAuthorizationRequest(as, client, oauth.None(), scope ? { scope } : {}, insecure);
  return oauth.processDeviceAuthorizationResponse(as, client, res);
}

/** One poll of the token endpoint: the token, or the RFC 8628 error code. */
async function poll(h: TestHub, deviceCode: string): Promise<{ token?: string; scope?: string; error?: string }> {
  const as = server(h);
  const res = await oauth.deviceCodeGrantRequest(as, client, oauth.None(), deviceCode, insecure);
  try {
    const t = await oauth.processDeviceCodeResponse(as, client, res);
    return { token: t.access_token, scope: t.scope ?? '' };
  } catch (err) {
    if (err instanceof oauth.ResponseBodyError) return { error: err.error };
    throw err;
  }
}

/** Approves or denies a code as a signed-in user would (the page's form, with its XSRF token). */
async function decide(b: Browser, userCode: string, action: 'approve' | 'deny'): Promise<number> {
  const xsrf = await formXsrf(b);
  const r = await b.request('POST', 'hub/device', { form: { _xsrf: xsrf, user_code: userCode, action } });
  return r.status;
}

describe('device login (RFC 8628)', () => {
  let h: TestHub;
  before(async () => {
    h = await startHub({
      redirect_to_server: false,
      authenticator: { password: PASSWORD },
      oauth_device_poll_interval: 1,
    });
  });
  after(async () => {
    await h?.stop();
  });

  test('the device authorization answer has RFC 8628 shape', async () => {
    const d = await startLogin(h);
    assert.match(d.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    assert.equal(d.verification_uri, new URL('hub/device', h.url).href);
    assert.equal(d.verification_uri_complete, `${d.verification_uri}?user_code=${d.user_code}`);
    assert.equal(d.expires_in, 600);
    assert.equal(d.interval, 1);
    assert.ok(d.device_code.length >= 40);
  });

  test('pending, slow_down honoured, approved in Chromium, then a working token listed as a device login', {
    skip: CHROMIUM ? false : 'Debian chromium is not installed',
    timeout: 90_000,
  }, async () => {
    const d = await startLogin(h);
    assert.deepEqual(await poll(h, d.device_code), { error: 'authorization_pending' });
    assert.deepEqual(await poll(h, d.device_code), { error: 'slow_down' }, 'polled again at once');
    // The interval is now 1 + 5 seconds: a poll after the old interval is still too early.
    await sleep(1500);
    assert.deepEqual(await poll(h, d.device_code), { error: 'slow_down' });
    let browser: Chromium | undefined;
    try {
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      });
      const page = await browser.newPage();
      // verification_uri_complete: the login page first, then back to the code.
      await page.goto(d.verification_uri_complete!);
      await page.getByLabel('Username').fill('dora');
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(/\/hub\/device\?user_code=/);
      assert.equal(await page.locator('#device-code').textContent(), d.user_code);
      assert.equal(await page.locator('#device-ip').textContent(), '127.0.0.1');
      assert.match((await page.locator('#device-agent').textContent()) ?? '', /oauth4webapi/);
      assert.match((await page.locator('#device-scopes').textContent()) ?? '', /inherit/);
      assert.match((await page.locator('#device-lifetime').textContent()) ?? '', /expires|never/);
      await page.getByRole('button', { name: 'Approve' }).click();
      await page.locator('#device-result').waitFor();
      assert.match((await page.locator('#device-result').textContent()) ?? '', /Approved/);
    } finally {
      await browser?.close();
    }
    await sleep(6000);
    const got = await poll(h, d.device_code);
    assert.ok(got.token, `a token: ${JSON.stringify(got)}`);
    const me = await h.request('GET', 'hub/api/user', { token: got.token! });
    assert.equal(me.status, 200);
    assert.equal(me.json.name, 'dora');
    const list = await h.request('GET', 'hub/api/users/dora/tokens');
    const listed = list.json.api_tokens.find((t: { note: string }) => t.note.startsWith('device login from'));
    assert.ok(listed, JSON.stringify(list.json));
    assert.match(listed.note, /^device login from 127\.0\.0\.1 \(.*oauth4webapi.*\)$/);
    // The code worked once.
    assert.deepEqual(await poll(h, d.device_code), { error: 'invalid_grant' });
    const audit = await h.request('GET', 'hub/api/audit?action=device.approve');
    assert.equal(audit.status, 200);
    assert.ok(JSON.stringify(audit.json).includes('dora'), JSON.stringify(audit.json).slice(0, 500));
  });

  test('a denied login answers access_denied once, then invalid_grant', async () => {
    const d = await startLogin(h);
    const b = await signedIn(h, 'erin', PASSWORD);
    assert.equal(await decide(b, d.user_code, 'deny'), 200);
    assert.equal(await decide(b, d.user_code, 'approve'), 404, 'a decided code cannot be decided again');
    assert.deepEqual(await poll(h, d.device_code), { error: 'access_denied' });
    assert.deepEqual(await poll(h, d.device_code), { error: 'invalid_grant' });
  });

  test('a wrong device code, a wrong client, a public client with a secret', async () => {
    assert.deepEqual(await poll(h, 'not-a-device-code'), { error: 'invalid_grant' });
    const d = await startLogin(h);
    const form = (extra: Record<string, string>) =>
      h.request('POST', 'hub/api/oauth2/token', {
        rawBody: new URLSearchParams({
          grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
          device_code: d.device_code,
          ...extra,
        }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        token: null,
      });
    const other = await form({ client_id: 'service-nope', client_secret: 'x' });
    assert.equal(other.status, 401);
    assert.equal(other.json.error, 'invalid_client');
    const secret = await form({ client_id: 'tshub-cli', client_secret: 'x' });
    assert.equal(secret.json.error, 'invalid_client');
    const none = await form({});
    assert.equal(none.json.error, 'invalid_client');
    const noCode = await form({ client_id: 'tshub-cli', device_code: '' });
    assert.equal(noCode.json.error, 'invalid_request');
  });

  test('unknown scopes are refused at once; scopes the user lacks are refused at approval', async () => {
    const as = server(h);
    const res = await oauth.deviceAuthorizationRequest(as, client, oauth.None(), { scope: 'no-such-scope' }, insecure);
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { error: string }).error, 'invalid_scope');
    const d = await startLogin(h, 'admin:users');
    const b = await signedIn(h, 'fred', PASSWORD);
    const page = await b.get(`hub/device?user_code=${d.user_code}`);
    assert.equal(page.status, 400);
    assert.match(page.text, /not held by user fred/);
    const r = await b.request('POST', 'hub/device', {
      form: { _xsrf: await formXsrf(b), user_code: d.user_code, action: 'approve' },
    });
    assert.equal(r.status, 400);
    assert.deepEqual(await poll(h, d.device_code), { error: 'authorization_pending' });
  });

  test('the approval page: sign-in first, XSRF checked, unknown codes', async () => {
    const d = await startLogin(h);
    const anon = new Browser(h);
    const first = await anon.get(`hub/device?user_code=${d.user_code}`);
    assert.equal(first.status, 302);
    assert.match(first.location ?? '', /\/hub\/login\?next=/);
    const b = await signedIn(h, 'gina', PASSWORD);
    const forged = await b.request('POST', 'hub/device', {
      form: { _xsrf: 'forged', user_code: d.user_code, action: 'approve' },
    });
    assert.equal(forged.status, 403);
    assert.equal((await b.get('hub/device?user_code=BBBB-BBBB')).status, 404);
    // Typed in lower case without the dash, the code is the same code.
    const typed = await b.get(`hub/device?user_code=${d.user_code.replace('-', '').toLowerCase()}`);
    assert.equal(typed.status, 200);
    assert.match(typed.text, new RegExp(d.user_code));
    assert.deepEqual(await poll(h, d.device_code), { error: 'authorization_pending' });
  });
  test('a registered client authenticates with its secret at both endpoints', async () => {
    const secret = 'service-secret-for-devices';
    await upsertOAuthClient(h.hub.ctx.k, {
      identifier: 'service-kiosk',
      description: 'Kiosk service',
      secretHash: digestToken(secret),
      redirectUri: '/services/kiosk/oauth_callback',
      allowedScopes: [],
    });
    const as = server(h);
    const kiosk: oauth.Client = { client_id: 'service-kiosk' };
    const wrong = await oauth.deviceAuthorizationRequest(as, kiosk, oauth.ClientSecretBasic('nope'), {}, insecure);
    assert.equal(wrong.status, 401);
    const start = await oauth.deviceAuthorizationRequest(as, kiosk, oauth.ClientSecretBasic(secret), {}, insecure);
    const d = await oauth.processDeviceAuthorizationResponse(as, kiosk, start);
    const b = await signedIn(h, 'ivan', PASSWORD);
    const page = await b.get(`hub/device?user_code=${d.user_code}`);
    assert.match(page.text, /Kiosk service asks for a token/);
    assert.equal(await decide(b, d.user_code, 'approve'), 200);
    // The public client cannot redeem another client's code.
    assert.deepEqual(await poll(h, d.device_code), { error: 'invalid_grant' });
    const res = await oauth.deviceCodeGrantRequest(as, kiosk, oauth.ClientSecretBasic(secret), d.device_code, insecure);
    const t = await oauth.processDeviceCodeResponse(as, kiosk, res);
    assert.equal((await h.request('GET', 'hub/api/user', { token: t.access_token })).json.name, 'ivan');
  });
});

describe('an expired device login', () => {
  let h: TestHub;
  before(async () => {
    h = await startHub({ authenticator: { password: PASSWORD }, oauth_device_code_expires_in: 1 });
  });
  after(async () => {
    await h?.stop();
  });

  test('answers expired_token, and cannot be approved', async () => {
    const d = await startLogin(h);
    await sleep(1200);
    assert.deepEqual(await poll(h, d.device_code), { error: 'expired_token' });
    const b = await signedIn(h, 'hugo', PASSWORD);
    assert.equal((await b.get(`hub/device?user_code=${d.user_code}`)).status, 404);
  });
});
