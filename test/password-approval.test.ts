// Sign-ups waiting for an admin (authenticator.open_signup off), on the in-process hub: the pending
// account cannot sign in or get a token, admins approve or discard it on /hub/authorize, and nobody else can.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Browser } from './browser-session.ts';
import type { TestHub } from './harness.ts';
import { startInProcessHub } from './inprocess.ts';
import { formXsrf, setPassword, signedIn, signup } from './password-helpers.ts';

describe('sign-up approval', () => {
  let h: TestHub;
  let admin: Browser;
  before(async () => {
    h = await startInProcessHub(
      { authenticator: { class: 'password', enable_signup: true, allowed_users: ['ann'] } },
      { listen: true },
    );
    await setPassword(h, 'admin', 'admin-password-1');
    admin = await signedIn(h, 'admin', 'admin-password-1');
  });
  after(() => h.stop());

  test('a sign-up waits: no user, no login (a clear message only with the right password), no token', async () => {
    const r = await signup(h, 'pat', 'pat-password-1');
    assert.equal(r.status, 202, r.text);
    assert.match(r.text, /waits for an administrator&#39;s approval/);
    assert.equal((await h.request('GET', 'hub/api/users/pat')).status, 404);
    const right = await new Browser(h).login('pat', 'pat-password-1');
    assert.equal(right.status, 403);
    assert.match(right.text, /The account pat is waiting for an administrator/);
    const wrong = await new Browser(h).login('pat', 'not-the-password');
    assert.equal(wrong.status, 403);
    assert.match(wrong.text, /Invalid username or password/);
    assert.doesNotMatch(wrong.text, /waiting/);
    const token = await h.request('POST', 'hub/api/users/pat/tokens', {
      token: null,
      body: { auth: { username: 'pat', password: 'pat-password-1' } },
    });
    assert.equal(token.status, 403);
    assert.equal(token.json.reason, 'signup_pending');
    assert.equal(token.json.token, undefined);
    assert.match((await signup(h, 'pat', 'other-password-1')).text, /cannot be registered/, 'the name is taken');
  });

  test('names an admin listed (allowed_users) need no approval, and get their password once', async () => {
    const r = await signup(h, 'ann', 'ann-password-1');
    assert.equal(r.status, 201, r.text);
    await signedIn(h, 'ann', 'ann-password-1');
    assert.match((await signup(h, 'ann', 'ann-password-2')).text, /cannot be registered/);
    await signedIn(h, 'ann', 'ann-password-1');
    // An admin's account is never given to whoever signs up first.
    assert.match((await signup(h, 'admin', 'admin-password-2')).text, /cannot be registered/);
  });

  test('the admin page links the list; only admins see it or act on it, and only with the XSRF token', async () => {
    assert.match((await admin.get('hub/admin')).text, /href="\/hub\/authorize"/);
    const page = await admin.get('hub/authorize');
    assert.equal(page.status, 200);
    assert.match(page.text, /<td>pat<\/td>/);
    // No XSRF token, or a forged one: refused, nothing changes.
    for (const form of [{}, { _xsrf: 'forged' }] as Record<string, string>[]) {
      const r = await admin.request('POST', 'hub/authorize/pat', { form });
      assert.equal(r.status, 403);
    }
    // A signed-in user who is not an admin, with their own valid XSRF token.
    const ann = await signedIn(h, 'ann', 'ann-password-1');
    assert.equal((await ann.get('hub/authorize')).status, 403);
    const annXsrf = await formXsrf(ann);
    assert.equal((await ann.request('POST', 'hub/authorize/pat', { form: { _xsrf: annXsrf } })).status, 403);
    assert.equal((await ann.request('POST', 'hub/discard/pat', { form: { _xsrf: annXsrf } })).status, 403);
    // Nobody signed in.
    assert.equal((await new Browser(h).request('POST', 'hub/authorize/pat', { form: {} })).status, 403);
    assert.equal((await new Browser(h).get('hub/authorize')).status, 302);
    assert.equal((await h.request('GET', 'hub/api/users/pat')).status, 404, 'still waiting');
  });

  test('approving creates the user with the password given at sign-up', async () => {
    const r = await admin.request('POST', 'hub/authorize/pat', { form: { _xsrf: await formXsrf(admin) } });
    assert.equal(r.status, 200, r.text);
    assert.match(r.text, /pat may now sign in/);
    assert.doesNotMatch(r.text, /<td>pat<\/td>/);
    assert.deepEqual((await h.request('GET', 'hub/api/users/pat')).json.roles, ['user']);
    await signedIn(h, 'pat', 'pat-password-1');
    const again = await admin.request('POST', 'hub/authorize/pat', { form: { _xsrf: await formXsrf(admin) } });
    assert.equal(again.status, 404, 'approved once only');
  });

  test('discarding frees the name; the password given then no longer signs in', async () => {
    assert.equal((await signup(h, 'zed', 'zed-password-1')).status, 202);
    const r = await admin.request('POST', 'hub/discard/zed', { form: { _xsrf: await formXsrf(admin) } });
    assert.equal(r.status, 200, r.text);
    assert.match(r.text, /sign-up of zed was discarded/);
    const login = await new Browser(h).login('zed', 'zed-password-1');
    assert.match(login.text, /Invalid username or password/);
    assert.equal((await signup(h, 'zed', 'zed-password-2')).status, 202, 'the name can be asked for again');
  });

  test('the API does the same for scripts: admin:users only, unfiltered', async () => {
    assert.equal((await signup(h, 'kim', 'kim-password-1')).status, 202);
    assert.equal((await signup(h, 'lou', 'lou-password-1')).status, 202);
    const list = await h.request('GET', 'hub/api/signups');
    assert.equal(list.status, 200);
    assert.deepEqual(
      list.json.map((x: { name: string }) => x.name).filter((n: string) => n === 'kim' || n === 'lou'),
      ['kim', 'lou'],
    );
    const ann = await h.tokenFor('ann');
    for (const [method, path] of [
      ['GET', 'hub/api/signups'],
      ['POST', 'hub/api/signups/kim'],
      ['DELETE', 'hub/api/signups/kim'],
    ] as const) {
      const r = await h.request(method, path, { token: ann });
      assert.equal(r.status, 403, `${method} ${path}`);
      assert.equal(r.json.reason, 'insufficient_scope');
    }
    assert.equal((await h.request('GET', 'hub/api/signups', { token: null })).status, 403);
    const approved = await h.request('POST', 'hub/api/signups/kim');
    assert.equal(approved.status, 201, approved.text);
    assert.deepEqual(approved.json, { name: 'kim' });
    await signedIn(h, 'kim', 'kim-password-1');
    assert.equal((await h.request('DELETE', 'hub/api/signups/lou')).status, 204);
    const gone = await h.request('DELETE', 'hub/api/signups/lou');
    assert.equal(gone.status, 404);
    assert.equal(gone.json.reason, 'not_found');
    assert.equal((await h.request('POST', 'hub/api/signups/nobody')).status, 404);
  });
});
