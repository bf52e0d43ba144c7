import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  digestToken,
  displayPrefix,
  findTokens,
  generateToken,
  isWellFormedToken,
  LEGACY_TOKEN_LENGTH,
  TOKEN_REGEX,
  TYPED_TOKEN_LENGTH,
  typedParts,
} from './format.ts';
import { slowHash, slowVerify } from './weak-hash.ts';

test('generated tokens have the documented shape and a valid checksum, typed and legacy', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const kind = (['p', 's', 'v', 'o'] as const)[i % 4]!;
    const t = generateToken({ kind, hubId: 'Hb01' });
    assert.match(t, new RegExp(`^tshub_${kind}_Hb01[0-9A-Za-z]{38}$`));
    assert.equal(t.length, TYPED_TOKEN_LENGTH);
    assert.ok(isWellFormedToken(t), t);
    assert.deepEqual(typedParts(t), { kind, hubId: 'Hb01' });
    const legacy = generateToken();
    assert.match(legacy, /^tshub_[0-9A-Za-z]{38}$/);
    assert.equal(legacy.length, LEGACY_TOKEN_LENGTH);
    assert.ok(isWellFormedToken(legacy), legacy);
    assert.equal(typedParts(legacy), null);
    seen.add(t).add(legacy);
  }
  assert.equal(seen.size, 400);
  assert.throws(() => generateToken({ kind: 'p', hubId: 'toolong' }), /hub id/);
});

test('TOKEN_REGEX and findTokens pick the well-formed tokens out of text, and nothing glued to other text', () => {
  const typed = generateToken({ kind: 'v', hubId: 'zZ09' });
  const legacy = generateToken();
  const bad = `${typed.slice(0, -1)}${typed.endsWith('a') ? 'b' : 'a'}`;
  const text = `export T=${typed}\n"${legacy}" ${bad} x${legacy} ${legacy}_tail tshub_x_${'a'.repeat(42)} ${typed}`;
  const matched = [...text.matchAll(TOKEN_REGEX)].map((m) => m[0]);
  assert.deepEqual(matched, [typed, legacy, bad, typed]);
  assert.deepEqual(findTokens(text), [typed, legacy]);
  assert.equal(isWellFormedToken(bad), false);
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
  for (const i of [6, 20, LEGACY_TOKEN_LENGTH - 1]) {
    const c = t[i] === 'a' ? 'b' : 'a';
    assert.equal(isWellFormedToken(t.slice(0, i) + c + t.slice(i + 1)), false);
  }
  const typed = generateToken({ kind: 'p', hubId: 'AAAA' });
  // The kind letter and the hub id are covered too: a token cannot be passed off as another kind or hub's.
  for (const i of [6, 8, 20, TYPED_TOKEN_LENGTH - 1]) {
    const c = typed[i] === 's' ? 'o' : typed[i] === 'a' ? 'b' : i === 6 ? 's' : 'a';
    assert.equal(isWellFormedToken(typed.slice(0, i) + c + typed.slice(i + 1)), false, `changed at ${i}`);
  }
  assert.equal(isWellFormedToken(`${t}x`), false);
  assert.equal(isWellFormedToken(t.slice(0, -1)), false);
  assert.equal(isWellFormedToken(`tshub_${'!'.repeat(38)}`), false);
});

test('digest is stable and display prefix hides most of the token', () => {
  const t = generateToken();
  assert.equal(digestToken(t), digestToken(t));
  assert.notEqual(digestToken(t), digestToken(generateToken()));
  // The stored form is SHA-256 in hex, pinned: tokens in existing databases must keep matching.
  assert.equal(digestToken('tshub_example'), 'sha256:a8de89fa256e71d720e2aa67af0413cdc116ea230c2224d6ed46bb8279fe1bd3');
  assert.equal(displayPrefix(t), t.slice(6, 14));
  const typed = generateToken({ kind: 'o', hubId: 'Hb01' });
  assert.equal(displayPrefix(typed), `o_Hb01${typed.slice(12, 20)}`);
  assert.equal(displayPrefix('my-config-secret'), 'my-c');
});

test('slow hash verifies only the right secret', async () => {
  const h = await slowHash('weak-secret');
  assert.match(h, /^scrypt:[0-9a-f]{32}:[0-9a-f]{64}$/);
  assert.equal(await slowVerify('weak-secret', h), true);
  assert.equal(await slowVerify('weak-secreT', h), false);
  assert.equal(await slowVerify('weak-secret', 'sha256:abc'), false);
});
