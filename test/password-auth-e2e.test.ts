// The password authenticator end to end: argon2id hashes set with `tshub passwd` (a real process), checked
// through the login form and token requests with `auth`; hashing and throttling: password-auth.test.ts.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
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
    // The password policy of sign-up and the change-password page applies here too.
    assert.match((await passwd(['bob', '--db-url', h.dbUrl], 'Password123\n')).stderr, /too common/);
    assert.match((await passwd(['bob', '--db-url', h.dbUrl], 'bob\n')).stderr, /at least 8/);
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
