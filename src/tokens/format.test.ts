import { test } from 'node:test';
import assert from 'node:assert/strict';
import { digestToken, displayPrefix, generateToken, hasValidChecksum, TOKEN_LENGTH } from './format.ts';
import { slowHash, slowVerify } from './weak-hash.ts';

test('generated tokens have the documented shape and a valid checksum', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const t = generateToken();
    assert.match(t, /^tshub_[0-9A-Za-z]{38}$/);
    assert.equal(t.length, TOKEN_LENGTH);
    assert.ok(hasValidChecksum(t), t);
    seen.add(t);
  }
  assert.equal(seen.size, 200);
});

test('the random part is uniform over the 62 characters, across many refills of the random pool', () => {
  const counts = new Map<string, number>();
  const tokens = 10_000;
  for (let i = 0; i < tokens; i++) {
    for (const c of generateToken().slice(6, 38)) counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  assert.equal(counts.size, 62);
  // 320,000 characters: 5,161 expected each, σ ≈ 71. A plain byte % 62 would give 6,250 of '0'..'7'.
  const expected = (tokens * 32) / 62;
  for (const [c, n] of counts) assert.ok(Math.abs(n - expected) < 5 * 71, `${c}: ${n}`);
});

test('a single changed character fails the checksum', () => {
  const t = generateToken();
  for (const i of [6, 20, TOKEN_LENGTH - 1]) {
    const c = t[i] === 'a' ? 'b' : 'a';
    assert.equal(hasValidChecksum(t.slice(0, i) + c + t.slice(i + 1)), false);
  }
  assert.equal(hasValidChecksum(`${t}x`), false);
  assert.equal(hasValidChecksum(t.slice(0, -1)), false);
  assert.equal(hasValidChecksum(`tshub_${'!'.repeat(38)}`), false);
});

test('digest is stable and display prefix hides most of the token', () => {
  const t = generateToken();
  assert.equal(digestToken(t), digestToken(t));
  assert.notEqual(digestToken(t), digestToken(generateToken()));
  // The stored form is SHA-256 in hex, pinned: tokens in existing databases must keep matching.
  assert.equal(digestToken('tshub_example'), 'sha256:a8de89fa256e71d720e2aa67af0413cdc116ea230c2224d6ed46bb8279fe1bd3');
  assert.equal(displayPrefix(t), t.slice(6, 14));
  assert.equal(displayPrefix('my-config-secret'), 'my-c');
});

test('slow hash verifies only the right secret', async () => {
  const h = await slowHash('weak-secret');
  assert.match(h, /^scrypt:[0-9a-f]{32}:[0-9a-f]{64}$/);
  assert.equal(await slowVerify('weak-secret', h), true);
  assert.equal(await slowVerify('weak-secreT', h), false);
  assert.equal(await slowVerify('weak-secret', 'sha256:abc'), false);
});
