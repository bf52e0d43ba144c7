import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CredentialsError, credentialsPath, loadCredentials, saveCredentials } from '../src/cli/user/store.ts';

describe('the stored login (credentials.json)', () => {
  let dir: string;
  let saved: string | undefined;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tshub-store-'));
    saved = process.env.XDG_CONFIG_HOME;
    process.env.XDG_CONFIG_HOME = dir;
  });
  after(() => {
    if (saved === undefined) delete process.env.XDG_CONFIG_HOME;
    else process.env.XDG_CONFIG_HOME = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  test('under $XDG_CONFIG_HOME, else ~/.config', () => {
    assert.equal(credentialsPath(), join(dir, 'tshub', 'credentials.json'));
    assert.equal(credentialsPath({}), join(homedir(), '.config', 'tshub', 'credentials.json'));
  });

  test('nothing stored: null', async () => {
    assert.equal(await loadCredentials(), null);
    assert.equal(await loadCredentials('http://127.0.0.1:9/'), null);
  });

  test('saved 0600 in a 0700 directory, in the documented shape; the last saved hub is the default', async () => {
    await saveCredentials('http://127.0.0.1:8000', { token: 'one', user: 'alice', created: '2026-01-01T00:00:00Z' });
    await saveCredentials('http://127.0.0.2:8000/', { token: 'two', user: 'bob', created: '2026-01-02T00:00:00Z' });
    const path = credentialsPath();
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'tshub')).mode & 0o777, 0o700);
    assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), {
      default: 'http://127.0.0.2:8000/',
      hubs: {
        'http://127.0.0.1:8000/': { token: 'one', user: 'alice', created: '2026-01-01T00:00:00Z' },
        'http://127.0.0.2:8000/': { token: 'two', user: 'bob', created: '2026-01-02T00:00:00Z' },
      },
    });
    assert.equal((await loadCredentials())?.token, 'two');
    const one = await loadCredentials('http://127.0.0.1:8000');
    assert.deepEqual(one, {
      url: 'http://127.0.0.1:8000/',
      token: 'one',
      user: 'alice',
      created: '2026-01-01T00:00:00Z',
    });
    assert.equal(await loadCredentials('http://127.0.0.3:8000/'), null);
  });

  test('a file others can read is refused, for reading and for saving', async () => {
    chmodSync(credentialsPath(), 0o644);
    await assert.rejects(loadCredentials(), (err: Error) => {
      assert.ok(err instanceof CredentialsError);
      assert.match(err.message, /readable by others \(mode 644\); run: chmod 600/);
      return true;
    });
    await assert.rejects(
      saveCredentials('http://127.0.0.1:8000/', { token: 't', user: 'u', created: 'c' }),
      CredentialsError,
    );
    chmodSync(credentialsPath(), 0o640);
    await assert.rejects(loadCredentials(), CredentialsError);
    chmodSync(credentialsPath(), 0o600);
    assert.equal((await loadCredentials())?.user, 'bob');
  });

  test('a file that is not the expected JSON is a clear error', async () => {
    writeFileSync(credentialsPath(), '{not json', { mode: 0o600 });
    await assert.rejects(loadCredentials(), /is not valid JSON/);
    writeFileSync(credentialsPath(), '[]', { mode: 0o600 });
    await assert.rejects(loadCredentials(), /has no "hubs" object/);
  });
});
