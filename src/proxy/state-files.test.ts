import assert from 'node:assert/strict';
import { chmodSync, closeSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { logTail, openLog, readPid, resolveToken, stateFiles } from './state-files.ts';

const dir = mkdtempSync(join(tmpdir(), 'tshub-proxy-state-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('proxy state files', () => {
  it('takes the token from config, then env, then the kept file, else makes one (0600)', () => {
    const tokenFile = stateFiles(dir).token;
    assert.deepEqual(
      resolveToken({ configToken: 'c', env: { CONFIGPROXY_AUTH_TOKEN: 'e' }, tokenFile, generate: true }),
      { token: 'c', source: 'config' },
    );
    assert.deepEqual(
      resolveToken({ configToken: null, env: { CONFIGPROXY_AUTH_TOKEN: 'e' }, tokenFile, generate: true }),
      { token: 'e', source: 'env' },
    );
    assert.equal(resolveToken({ configToken: null, env: {}, tokenFile, generate: false }), null);
    const made = resolveToken({ configToken: null, env: {}, tokenFile, generate: true })!;
    assert.equal(made.source, 'generated');
    assert.match(made.token, /^[0-9a-f]{64}$/);
    assert.equal(statSync(tokenFile).mode & 0o777, 0o600);
    assert.equal(readFileSync(tokenFile, 'utf8').trim(), made.token);
    chmodSync(tokenFile, 0o644);
    assert.deepEqual(resolveToken({ configToken: null, env: {}, tokenFile, generate: true }), {
      token: made.token,
      source: 'file',
    });
    assert.equal(statSync(tokenFile).mode & 0o777, 0o600, 'tightened');
  });

  it('reads pid files defensively', () => {
    const f = join(dir, 'p.pid');
    assert.equal(readPid(f), null);
    writeFileSync(f, 'garbage');
    assert.equal(readPid(f), null);
    writeFileSync(f, '1234\n');
    assert.equal(readPid(f), 1234);
  });

  it('shows the tail of the log written since an offset', () => {
    const f = join(dir, 'x.log');
    writeFileSync(f, 'old line\n');
    const { fd, offset } = openLog(f);
    writeSync(fd, `${Array.from({ length: 30 }, (_, i) => `line ${i}`).join('\n')}\n`);
    closeSync(fd);
    const tail = logTail(f, offset, 3);
    assert.equal(tail, 'line 27\nline 28\nline 29');
    assert.ok(!logTail(f, offset, 100).includes('old line'));
    assert.equal(logTail(join(dir, 'missing.log'), 0), '');
  });
});
