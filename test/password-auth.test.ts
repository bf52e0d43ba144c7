// Password hashing and failed-login throttling through the login form and token requests with `auth`, on the
// in-process hub; the password authenticator with `tshub passwd` (a real process): password-auth-e2e.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { LoginThrottle } from '../src/auth/login-throttle.ts';
import { hashPassword, storePasswordHash, verifyPassword } from '../src/auth/passwords.ts';
import { findUser } from '../src/repo/users.ts';
import { Browser } from './browser-session.ts';
import type { TestHub } from './harness.ts';
import { startInProcessHub } from './inprocess.ts';

describe('password hashing', () => {
  test('argon2id, salted, verified; no stored hash never matches', async () => {
    const a = await hashPassword('correct horse');
    const b = await hashPassword('correct horse');
    assert.match(a, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    assert.notEqual(a, b, 'a fresh salt each time');
    assert.equal(await verifyPassword(a, 'correct horse'), true);
    assert.equal(await verifyPassword(a, 'correct horsE'), false);
    assert.equal(await verifyPassword(null, ''), false);
    assert.equal(await verifyPassword('not a hash', 'x'), false);
  });
});

describe('failed-login throttling', () => {
  let h: TestHub;
  before(async () => {
    h = await startInProcessHub(
      {
        authenticator: {
          class: 'password',
          login_throttle: { max_failures: 5, max_failures_per_ip: 12, window_seconds: 2 },
        },
      },
      { listen: true },
    );
    await h.addUsers(['dora', 'eve', 'fay', 'gus']);
    // What `tshub passwd` stores (the command itself: password-auth-e2e.test.ts).
    for (const name of ['dora', 'eve', 'gus']) {
      const user = (await findUser(h.hub.ctx.k, name))!;
      await storePasswordHash(h.hub.ctx.k, user.id, await hashPassword(`${name}-password`));
    }
  });
  after(() => h?.stop());

  test('the 6th attempt after 5 failures gets 429 with Retry-After, even with the right password, until the window passes', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await new Browser(h).login('dora', `wrong-${i}`)).status, 403);
    const started = Date.now();
    const b = new Browser(h);
    const refused = await b.login('dora', 'dora-password');
    assert.equal(refused.status, 429);
    const retry = Number(refused.headers.get('retry-after'));
    assert.ok(retry >= 1 && retry <= 2, `Retry-After ${retry}`);
    assert.match(
      refused.text,
      /role="alert">Too many failed sign-in attempts\. Please wait \d seconds? before trying again\.</,
    );
    assert.match(refused.text, /<form method="post"/);
    assert.equal(b.cookie('jupyterhub-hub-login'), undefined);
    // Token requests with `auth` share the count.
    const api = await h.request('POST', 'hub/api/users/dora/tokens', {
      token: null,
      body: { auth: { username: 'dora', password: 'dora-password' } },
    });
    assert.equal(api.status, 429);
    assert.ok(Number(api.headers.get('retry-after')) >= 1);
    assert.match(api.json.message, /Too many failed sign-in attempts/);
    // Others are not affected.
    assert.equal((await new Browser(h).login('eve', 'eve-password')).status, 302);

    await new Promise((r) => setTimeout(r, Math.max(0, 2100 - (Date.now() - started))));
    assert.equal((await new Browser(h).login('dora', 'dora-password')).status, 302, 'the window passed');
  });

  test('a success resets the username count', async () => {
    for (let i = 0; i < 4; i++) assert.equal((await new Browser(h).login('eve', `wrong-${i}`)).status, 403);
    assert.equal((await new Browser(h).login('eve', 'eve-password')).status, 302);
    for (let i = 0; i < 4; i++) assert.equal((await new Browser(h).login('eve', `wrong-${i}`)).status, 403);
    assert.equal((await new Browser(h).login('eve', 'eve-password')).status, 302);
    await new Promise((r) => setTimeout(r, 2100)); // let the address's failures expire for the next test
  });

  test('token requests with `auth` are throttled per username too', async () => {
    for (let i = 0; i < 5; i++) {
      const r = await h.request('POST', 'hub/api/users/fay/tokens', {
        token: null,
        body: { auth: { username: 'fay', password: `wrong-${i}` } },
      });
      assert.equal(r.status, 403);
    }
    const sixth = await h.request('POST', 'hub/api/users/fay/tokens', {
      token: null,
      body: { auth: { username: 'fay', password: 'x' } },
    });
    assert.equal(sixth.status, 429);
    assert.equal(sixth.json.reason, 'too_many_failures');
    await new Promise((r) => setTimeout(r, 2100)); // these count against the address too: let them expire
  });

  test('failures from one address across names hit the per-address limit', async () => {
    // 12 failed logins from 127.0.0.1 for as many names: even gus's right password waits now. Sent at
    // once, so that all of them fall within the short window however slow the hashing is here.
    const failures = await Promise.all(
      Array.from({ length: 12 }, (_, i) => new Browser(h).login(`nobody${i}`, 'whatever1')),
    );
    assert.deepEqual(
      failures.map((r) => r.status),
      Array(12).fill(403),
    );
    const gus = await new Browser(h).login('gus', 'gus-password');
    assert.equal(gus.status, 429);
  });
});

describe('LoginThrottle', () => {
  test('counts within the window, caps what it keeps, and forgets the least recent keys', () => {
    let now = 0;
    const t = new LoginThrottle({ max_failures: 3, max_failures_per_ip: 0, window_seconds: 10 }, () => now);
    t.failure('a', '10.0.0.1');
    now = 4000;
    t.failure('a', '10.0.0.1');
    t.failure('a', '10.0.0.1');
    assert.equal(t.retryAfter('a', '10.0.0.1'), 6, 'until the first failure leaves the window');
    assert.equal(t.retryAfter('b', '10.0.0.1'), 0, 'per-address limit off');
    now = 10_000;
    assert.equal(t.retryAfter('a', null), 0);
    t.failure('a', null);
    assert.equal(t.retryAfter('a', null), 4, 'the two failures at 4s and this one');
    t.success('a');
    assert.equal(t.retryAfter('a', null), 0);
    for (let i = 0; i < 20_000; i++) t.failure(`user${i}`, null);
    assert.ok(t.byName.entries.size <= 10_000, 'memory bounded');
    assert.ok(t.byName.entries.has('user19999'));
  });
});
