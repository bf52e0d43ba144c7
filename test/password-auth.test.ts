// The password authenticator end to end: argon2id hashes set with `tshub passwd` (a real process),
// checked through the login form and token requests with `auth`; failed-login throttling.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { LoginThrottle } from '../src/auth/login-throttle.ts';
import { hashPassword, verifyPassword } from '../src/auth/passwords.ts';
import { Browser } from './browser-session.ts';
import { startHub, type TestHub } from './harness.ts';
import { TSHUB } from './process.ts';

/** `tshub passwd ...` as a real process, with `input` piped to its stdin. */
function passwd(args: string[], input = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env.TSHUB_CONFIG;
    const p = spawn(TSHUB[0]!, [TSHUB[1]!, 'passwd', ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.once('error', reject);
    p.once('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    p.stdin.end(input);
  });
}

const INVALID = /role="alert">Invalid username or password</;

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

describe('the password authenticator and tshub passwd', () => {
  let h: TestHub;
  before(async () => {
    h = await startHub({ authenticator: { class: 'password', blocked_users: ['mallory'] } });
    await h.addUsers(['alice', 'bob', 'mallory']);
  });
  after(() => h?.stop());

  test('passwd reads the password from stdin and prints nothing secret', async () => {
    const r = await passwd(['Alice', '--db-url', h.dbUrl], 'alice-secret-1\n');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /password set for alice/);
    assert.doesNotMatch(r.stderr, /alice-secret-1/);
    const row = await h.hub.ctx.k.selectFrom('user_passwords').selectAll().executeTakeFirstOrThrow();
    assert.match(row.hash, /^\$argon2id\$/);
    assert.ok(!row.hash.includes('alice-secret-1'));
    assert.equal((await passwd(['mallory', '--db-url', h.dbUrl], 'mallory-secret\n')).code, 0);
  });

  test('passwd refuses a short password and an unknown user, changing nothing', async () => {
    const short = await passwd(['bob', '--db-url', h.dbUrl], 'short\n');
    assert.equal(short.code, 1);
    assert.match(short.stderr, /at least 8 characters/);
    const ghost = await passwd(['ghost', '--db-url', h.dbUrl], 'long enough pw\n');
    assert.equal(ghost.code, 1);
    assert.match(ghost.stderr, /no such user: ghost/);
    const ids = await h.hub.ctx.k.selectFrom('user_passwords').select('user_id').execute();
    assert.equal(ids.length, 2, 'only alice and mallory have passwords');
    assert.equal(
      await h.hub.ctx.k.selectFrom('users').select('id').where('name', '=', 'ghost').executeTakeFirst(),
      undefined,
    );
  });

  test('the right password signs in, and next is honoured', async () => {
    const b = new Browser(h);
    const r = await b.login('alice', 'alice-secret-1', '/hub/token');
    assert.equal(r.status, 302);
    assert.equal(new URL(r.location!).pathname, '/hub/token');
    assert.ok(b.cookie('jupyterhub-hub-login'));
    const home = await b.get('hub/home');
    assert.match(home.text, /Signed in as <strong>alice<\/strong>/);
    const form = await new Browser(h).get('hub/login');
    assert.match(form.text, /<input type="password"[^>]* required/, 'the form requires a password');
  });

  test('a wrong password, an unknown user, a user without a password and a blocked one: the same 403', async () => {
    for (const [name, password] of [
      ['alice', 'alice-secret-2'],
      ['nobody', 'alice-secret-1'],
      ['bob', ''],
      ['bob', 'anything at all'],
      ['mallory', 'mallory-secret'],
    ]) {
      const b = new Browser(h);
      const r = await b.login(name!, password!);
      assert.equal(r.status, 403, `${name}/${password}`);
      assert.match(r.text, INVALID);
      assert.equal(b.cookie('jupyterhub-hub-login'), undefined);
    }
  });

  test('--random sets and prints a generated password that then works, for the form and for tokens', async () => {
    const r = await passwd(['bob', '--random', '--db-url', h.dbUrl]);
    assert.equal(r.code, 0, r.stderr);
    const pw = r.stdout.trim();
    assert.match(pw, /^[A-Za-z0-9_-]{24}$/);
    assert.equal((await new Browser(h).login('bob', pw)).status, 302);
    const tok = await h.request('POST', 'hub/api/users/bob/tokens', {
      token: null,
      body: { auth: { username: 'bob', password: pw } },
    });
    assert.equal(tok.status, 201, tok.text);
    const bad = await h.request('POST', 'hub/api/users/bob/tokens', {
      token: null,
      body: { auth: { username: 'bob', password: 'not it!!' } },
    });
    assert.equal(bad.status, 403);
  });

  test('a deleted user takes their password along', async () => {
    await h.addUsers(['carol']);
    assert.equal((await passwd(['carol', '--db-url', h.dbUrl], 'carol-secret\n')).code, 0);
    assert.equal((await h.request('DELETE', 'hub/api/users/carol')).status, 204);
    const rows = await h.hub.ctx.k.selectFrom('user_passwords').select('user_id').execute();
    assert.equal(rows.length, 3, 'alice, bob and mallory remain');
  });
});

describe('failed-login throttling', () => {
  let h: TestHub;
  before(async () => {
    h = await startHub({
      authenticator: {
        class: 'password',
        login_throttle: { max_failures: 5, max_failures_per_ip: 12, window_seconds: 2 },
      },
    });
    await h.addUsers(['dora', 'eve', 'fay', 'gus']);
    for (const name of ['dora', 'eve', 'gus'])
      assert.equal((await passwd([name, '--db-url', h.dbUrl], `${name}-password\n`)).code, 0);
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
