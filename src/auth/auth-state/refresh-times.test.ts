import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RefreshTimes } from './refresh-times.ts';

test('a login is stale when never confirmed or confirmed longer ago than the age; 0 never', () => {
  const t = new RefreshTimes(300);
  assert.equal(t.isStale(1, 1_000_000), true);
  t.confirmed(1, 1_000_000);
  assert.equal(t.isStale(1, 1_000_000 + 300_000), false);
  assert.equal(t.isStale(1, 1_000_000 + 300_001), true);
  t.forget(1);
  assert.equal(t.isStale(1, 1_000_000), true);
  assert.equal(new RefreshTimes(0).isStale(1), false);
});

test('concurrent checks of one user make one call and share its answer', async () => {
  const t = new RefreshTimes(300);
  let calls = 0;
  let release!: (ok: boolean) => void;
  const check = () => {
    calls++;
    return new Promise<boolean>((resolve) => {
      release = resolve;
    });
  };
  const both = Promise.all([t.once(7, check), t.once(7, check)]);
  release(false);
  assert.deepEqual(await both, [false, false]);
  assert.equal(calls, 1);
  // Once settled, the next check runs again.
  const again = t.once(7, async () => true);
  assert.equal(await again, true);
});
