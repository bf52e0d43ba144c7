import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { REASONS } from './reasons.ts';

const doc = readFileSync(new URL('../../docs/api-errors.md', import.meta.url), 'utf8');
// The doc's table rows: | `reason` | status | meaning |
const documented = new Set([...doc.matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1]!));

test('every reason the hub can send is documented in docs/api-errors.md', () => {
  const missing = Object.keys(REASONS).filter((r) => !documented.has(r));
  assert.deepEqual(missing, [], `add these to docs/api-errors.md: ${missing.join(', ')}`);
});

test('docs/api-errors.md documents no reason the hub cannot send', () => {
  const stale = [...documented].filter((r) => !(r in REASONS));
  assert.deepEqual(
    stale,
    [],
    `remove these from docs/api-errors.md (or add them to src/errors/reasons.ts): ${stale.join(', ')}`,
  );
});
