import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { generate } from 'otplib';
import { passwordProblem } from './passwords.ts';
import { totpEnrollment, totpStep } from './totp.ts';

const policy = { minimum_password_length: 8, check_common_password: true };

test('passwordProblem: length in characters, the username, the common list (any case)', () => {
  assert.equal(passwordProblem(policy, 'kestrel-harbour', 'ada'), null);
  assert.match(passwordProblem(policy, 'seven77', 'ada') ?? '', /at least 8/);
  // Eight characters, sixteen UTF-16 units: counted as eight.
  assert.equal(passwordProblem(policy, '🦊🦊🦊🦊🦊🦊🦊🦊', 'ada'), null);
  assert.match(passwordProblem(policy, 'x'.repeat(1025), 'ada') ?? '', /at most 1024/);
  assert.match(passwordProblem(policy, 'Adalovelace', 'adalovelace') ?? '', /not be the username/);
  for (const common of ['password', 'PASSWORD1', 'Qwerty123', '12345678', 'iloveyou'])
    assert.match(passwordProblem(policy, common, 'ada') ?? '', /too common/, common);
  assert.equal(passwordProblem({ ...policy, check_common_password: false }, 'iloveyou', 'ada'), null);
  assert.match(passwordProblem({ ...policy, minimum_password_length: 20 }, 'kestrel-harbour', 'ada') ?? '', /20/);
});

test('the common-password list: a few hundred entries, lowercase, no duplicates', () => {
  const lines = readFileSync(join(import.meta.dirname, 'common-passwords.txt'), 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'));
  assert.ok(lines.length >= 300, `${lines.length} entries`);
  assert.equal(new Set(lines).size, lines.length);
  for (const l of lines) assert.equal(l, l.toLowerCase().trim());
});

test('totpStep: six digits only, one step either side, never a step at or before the last used', async (t) => {
  // The clock stands still mid-step, so no assertion straddles a 30 s boundary.
  t.mock.timers.enable({ apis: ['Date'], now: 1_800_000_015_000 });
  const { secret, uri } = totpEnrollment('http://hub.example.org:8000/', 'ada');
  assert.match(uri, /^otpauth:\/\/totp\/hub\.example\.org:ada\?secret=[A-Z2-7]{32}&issuer=hub\.example\.org$/);
  const now = Math.floor(Date.now() / 1000);
  const at = (offset: number) => generate({ secret, epoch: now + offset * 30 });
  const step = await totpStep(secret, await at(0), null);
  assert.ok(step !== null);
  assert.equal(await totpStep(secret, await at(-1), null), step - 1);
  assert.equal(await totpStep(secret, await at(1), null), step + 1);
  assert.equal(await totpStep(secret, await at(3), null), null, 'too far ahead');
  assert.equal(await totpStep(secret, await at(0), step), null, 'used');
  assert.equal(await totpStep(secret, await at(1), step), step + 1);
  for (const bad of [undefined, '', '12345', '1234567', 'abcdef', 123456, ' 12 34 '])
    assert.equal(await totpStep(secret, bad, null), null, String(bad));
});
