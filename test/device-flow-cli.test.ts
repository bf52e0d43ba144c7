import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCredentials, saveCredentials } from '../src/cli/user/store.ts';
import { startHub, type TestHub } from './harness.ts';
import { formXsrf, signedIn } from './password-helpers.ts';
import { TSHUB } from './process.ts';

const PASSWORD = 'the-shared-secret';

interface Run {
  /** Resolves with the user code once the CLI has printed it. */
  code: Promise<string>;
  done: Promise<{ status: number; stdout: string; stderr: string }>;
}

/** `tshub login` as a user runs it, with its own config directory. */
function login(args: string[], configHome: string): Run {
  const proc = spawn(TSHUB[0]!, [TSHUB[1]!, 'login', ...args], {
    env: { ...process.env, XDG_CONFIG_HOME: configHome },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
  let stdout = '';
  let stderr = '';
  let found: (code: string) => void = () => {};
  const code = new Promise<string>((resolve) => {
    found = resolve;
  });
  const look = () => {
    const m = /enter the code ([A-Z]{4}-[A-Z]{4})/.exec(stdout + stderr);
    if (m) found(m[1]!);
  };
  proc.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
    look();
  });
  proc.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
    look();
  });
  const done = new Promise<{ status: number; stdout: string; stderr: string }>((resolve) =>
    proc.on('close', (status) => resolve({ status: status ?? -1, stdout, stderr })),
  );
  return { code, done };
}

async function decide(h: TestHub, user: string, userCode: string, action: 'approve' | 'deny'): Promise<void> {
  const b = await signedIn(h, user, PASSWORD);
  const r = await b.request('POST', 'hub/device', { form: { _xsrf: await formXsrf(b), user_code: userCode, action } });
  assert.equal(r.status, 200, r.text.slice(0, 300));
}

/** Runs `fn` with XDG_CONFIG_HOME set to `dir`, as the CLI process had it: the store reads it at each call. */
async function inConfigHome<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const saved = process.env.XDG_CONFIG_HOME;
  process.env.XDG_CONFIG_HOME = dir;
  try {
    return await fn();
  } finally {
    if (saved === undefined) delete process.env.XDG_CONFIG_HOME;
    else process.env.XDG_CONFIG_HOME = saved;
  }
}

describe('tshub login', () => {
  let h: TestHub;
  let home: string;
  before(async () => {
    h = await startHub({ authenticator: { password: PASSWORD }, oauth_device_poll_interval: 1 });
    home = mkdtempSync(join(tmpdir(), 'tshub-login-'));
  });
  after(async () => {
    await h?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  test('--help describes the command', async () => {
    const run = login(['--help'], home);
    const r = await run.done;
    assert.equal(r.status, 0);
    assert.match(r.stdout, /--url <url>/);
    assert.match(r.stdout, /credentials\.json/);
  });

  test('approved: the token is stored 0600 under XDG_CONFIG_HOME, works, and is the default', async () => {
    const run = login(['--url', h.url, '--scopes', 'read:users!user', 'read:servers!user'], home);
    await decide(h, 'lena', await run.code, 'approve');
    const r = await run.done;
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Signed in to .* as lena; token stored in .*credentials\.json/);
    const path = join(home, 'tshub', 'credentials.json');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(join(home, 'tshub')).mode & 0o777, 0o700);
    const file = JSON.parse(readFileSync(path, 'utf8'));
    assert.equal(file.default, h.url);
    assert.equal(file.hubs[h.url].user, 'lena');
    assert.ok(!Number.isNaN(Date.parse(file.hubs[h.url].created)));
    const stored = await inConfigHome(home, () => loadCredentials());
    assert.equal(stored?.url, h.url);
    const me = await h.request('GET', 'hub/api/user', { token: stored!.token });
    assert.equal(me.status, 200);
    assert.equal(me.json.name, 'lena');
    // The requested scopes (expanded), not all of lena's: no starting servers, no tokens.
    assert.ok(me.json.scopes.includes('read:servers!user=lena'), me.json.scopes);
    assert.ok(me.json.scopes.includes('read:users!user=lena'), me.json.scopes);
    assert.ok(!me.json.scopes.includes('servers!user=lena'), me.json.scopes);
    assert.ok(!me.json.scopes.includes('tokens!user=lena'), me.json.scopes);
    const tokens = await h.request('GET', 'hub/api/users/lena/tokens');
    assert.match(tokens.json.api_tokens[0].note, /^device login from 127\.0\.0\.1 \(tshub-cli\//);
  });

  test('a second hub is added beside the first, and becomes the default', async () => {
    const path = join(home, 'tshub', 'credentials.json');
    await inConfigHome(home, () =>
      saveCredentials('http://127.0.0.2:9/other', { token: 't', user: 'u', created: 'now' }),
    );
    const file = JSON.parse(readFileSync(path, 'utf8'));
    assert.equal(file.default, 'http://127.0.0.2:9/other/');
    assert.equal(file.hubs[h.url].user, 'lena', 'the first hub is kept');
    assert.equal((await inConfigHome(home, () => loadCredentials(h.url)))?.user, 'lena');
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });

  test('denied: exit 1 with the reason, nothing stored', async () => {
    const other = mkdtempSync(join(tmpdir(), 'tshub-login-'));
    try {
      const run = login(['--url', h.url, '--json'], other);
      await decide(h, 'mona', await run.code, 'deny');
      const r = await run.done;
      assert.equal(r.status, 1);
      assert.match(r.stderr, /tshub login: the login was denied/);
      assert.equal(r.stdout, '', '--json keeps the prompt off stdout');
      assert.equal(await inConfigHome(other, () => loadCredentials()), null);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  test('bad input: an unknown scope, a URL that is no hub, a damaged credentials file', async () => {
    const unknown = await login(['--url', h.url, '--scopes', 'no-such-scope'], home).done;
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /not a known scope/);
    const notUrl = await login(['--url', 'not a url'], home).done;
    assert.equal(notUrl.status, 1);
    assert.match(notUrl.stderr, /not a URL/);
    const damaged = mkdtempSync(join(tmpdir(), 'tshub-login-'));
    try {
      const path = join(damaged, 'tshub', 'credentials.json');
      await inConfigHome(damaged, () => saveCredentials(h.url, { token: 't', user: 'u', created: 'now' }));
      writeFileSync(path, '{ not json');
      await assert.rejects(
        inConfigHome(damaged, () => loadCredentials()),
        /not valid JSON/,
      );
    } finally {
      rmSync(damaged, { recursive: true, force: true });
    }
  });
});
