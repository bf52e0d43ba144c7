// `tshub token`, the command-line way to a token, as a real process against a real hub's database.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHub, type TestHub } from './harness.ts';

const ROOT = new URL('..', import.meta.url).pathname;

function tokensPath(user: string, rest = ''): string {
  return `hub/api/users/${encodeURIComponent(user)}/tokens${rest}`;
}

async function whoami(h: TestHub, token: string) {
  return h.request('GET', 'hub/api/user', { token });
}

describe('tshub token (CLI)', () => {
  let h: TestHub;
  let configFile: string;
  let cappedConfigFile: string;
  before(async () => {
    h = await startHub();
    await h.addUsers(['ned']);
    configFile = join(h.dir, 'cli-config.yaml');
    writeFileSync(configFile, `db_url: ${JSON.stringify(h.dbUrl)}\n`);
    cappedConfigFile = join(h.dir, 'cli-capped.yaml');
    writeFileSync(
      cappedConfigFile,
      `db_url: ${JSON.stringify(h.dbUrl)}\ntokens:\n  default_expires_in: 30\n  expires_in_max_seconds: 60\n`,
    );
  });
  after(() => h.stop());

  function cli(args: string[], config = configFile): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(
        join(ROOT, 'node_modules/.bin/node'),
        [join(ROOT, 'bin/tshub.js'), 'token', ...args, '--config', config],
        {
          cwd: h.dir,
          env: { ...process.env, TSHUB_CONFIG: '' },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  test('prints a working token alone on stdout, with the note and lifetime asked for', async () => {
    const [ok, missing] = await Promise.all([
      cli(['ned', '--note', 'from the cli', '--expires-in', '600']),
      cli(['nobody']),
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^tshub_p_[0-9A-Za-z]{42}\n$/);
    const token = ok.stdout.trim();
    const who = await whoami(h, token);
    assert.equal(who.status, 200);
    assert.equal(who.json.name, 'ned');
    const model = (await h.request('GET', tokensPath('ned', `/${who.json.token_id}`))).json;
    assert.equal(model.note, 'from the cli');
    assert.ok(Math.abs(Date.parse(model.expires_at) - Date.now() - 600_000) < 10_000, model.expires_at);

    assert.equal(missing.code, 1);
    assert.equal(missing.stdout, '');
    assert.match(missing.stderr, /no such user: nobody/);
  });

  test('a bad --expires-in → exit 1; the default note is "command-line generated"; the lifetime settings apply', async () => {
    const [bad, plain, dflt, over] = await Promise.all([
      cli(['ned', '--expires-in', 'soon']),
      cli(['ned']),
      cli(['ned'], cappedConfigFile),
      cli(['ned', '--expires-in', '61'], cappedConfigFile),
    ]);
    assert.equal(bad.code, 1);
    assert.equal(bad.stdout, '');
    assert.match(bad.stderr, /--expires-in/);
    assert.equal(plain.code, 0, plain.stderr);
    const who = await whoami(h, plain.stdout.trim());
    const model = (await h.request('GET', tokensPath('ned', `/${who.json.token_id}`))).json;
    assert.equal(model.note, 'command-line generated');
    assert.equal(model.expires_at, null);

    assert.equal(dflt.code, 0, dflt.stderr);
    const whoD = await whoami(h, dflt.stdout.trim());
    const modelD = (await h.request('GET', tokensPath('ned', `/${whoD.json.token_id}`))).json;
    assert.ok(Math.abs(Date.parse(modelD.expires_at) - Date.parse(modelD.created) - 30_000) < 1000, modelD.expires_at);
    assert.equal(over.code, 1);
    assert.equal(over.stdout, '');
    assert.match(over.stderr, /expires_in_max_seconds/);
  });
});
