import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Browser } from './browser-session.ts';
import type { TestHub } from './harness.ts';
import { startInProcessHub } from './inprocess.ts';

async function signup(h: TestHub, username: string, password: string, confirm = password) {
  const b = new Browser(h);
  const form = await b.request('GET', 'hub/signup', { navigate: true });
  assert.equal(form.status, 200);
  return b.request('POST', 'hub/signup', {
    form: { _xsrf: Browser.xsrfField(form.text), username, password, password_confirm: confirm },
  });
}

describe('sign-up', () => {
  test('is off by default: no page, no link', async () => {
    const h = await startInProcessHub({ authenticator: { class: 'password' } }, { listen: true });
    try {
      assert.equal((await new Browser(h).request('GET', 'hub/signup', { navigate: true })).status, 404);
      assert.doesNotMatch(
        (await new Browser(h).request('GET', 'hub/login', { navigate: true })).text,
        /Create an account/,
      );
    } finally {
      await h.stop();
    }
  });

  describe('with enable_signup and open_signup', () => {
    let h: TestHub;
    before(async () => {
      h = await startInProcessHub(
        { authenticator: { class: 'password', enable_signup: true, open_signup: true, blocked_users: ['mallory'] } },
        { listen: true },
      );
    });
    after(() => h.stop());

    test('creates an account that can then sign in with its password', async () => {
      assert.match((await new Browser(h).request('GET', 'hub/login', { navigate: true })).text, /Create an account/);
      const r = await signup(h, 'Quinn', 'quinn-password');
      assert.equal(r.status, 201, r.text);
      assert.match(r.text, /The account quinn was created/);
      assert.equal((await new Browser(h).login('quinn', 'wrong-password')).status, 403);
      assert.equal((await new Browser(h).login('quinn', 'quinn-password')).status, 302);
      const model = await h.request('GET', 'hub/api/users/quinn');
      assert.deepEqual(model.json.roles, ['user']);
      assert.equal(model.json.admin, false);
    });

    test('refuses taken and blocked names with one answer, weak or mismatched passwords, bad names, missing XSRF', async () => {
      const taken = await signup(h, 'quinn', 'another-password');
      assert.equal(taken.status, 400);
      assert.match(taken.text, /cannot be registered/);
      assert.equal(
        (await new Browser(h).login('quinn', 'quinn-password')).status,
        302,
        'the existing account is untouched',
      );
      const blocked = await signup(h, 'mallory', 'mallory-password');
      assert.equal(blocked.status, 400);
      assert.match(blocked.text, /cannot be registered/);
      assert.match((await signup(h, 'rosa', 'short')).text, /at least 8/);
      assert.match((await signup(h, 'rosa', 'rosa-password', 'rosa-passw0rd')).text, /passwords differ/);
      assert.equal((await signup(h, 'a/b', 'good-password')).status, 400);
      const noXsrf = await new Browser(h).request('POST', 'hub/signup', {
        form: { username: 'sam', password: 'sam-password', password_confirm: 'sam-password' },
      });
      assert.equal(noXsrf.status, 403);
      // The password policy: common passwords (any case) and the username itself are refused too.
      assert.match((await signup(h, 'rosa', 'Password123')).text, /too common/);
      assert.match((await signup(h, 'rosa', 'QWERTYUIOP')).text, /too common/);
      assert.match((await signup(h, 'rosalinda', 'RosaLinda')).text, /must not be the username/);
      for (const name of ['rosa', 'sam', 'mallory', 'rosalinda'])
        assert.equal((await h.request('GET', `hub/api/users/${name}`)).status, 404, `${name} was not created`);
    });
  });

  test("minimum_password_length and check_common_password are the admin's to set", async () => {
    const h = await startInProcessHub(
      {
        authenticator: {
          class: 'password',
          enable_signup: true,
          open_signup: true,
          minimum_password_length: 12,
          check_common_password: false,
        },
      },
      { listen: true },
    );
    try {
      assert.match((await signup(h, 'tess', 'elevenchars')).text, /at least 12/);
      assert.equal((await signup(h, 'tess', 'password1234')).status, 201, 'a common password, with the check off');
    } finally {
      await h.stop();
    }
  });
});
