import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BucketTable, makeRate, remaining, secondsToFull, secondsToNext } from './bucket.ts';

const rate = makeRate('api', 60, 10); // one a second, ten at once

test('a policy header states the burst as quota over the time the bucket takes to fill', () => {
  assert.equal(rate.policyHeader, '"api";q=10;w=10');
  assert.equal(makeRate('x', 600, 600).policyHeader, '"x";q=600;w=60');
  assert.equal(
    makeRate('x', 7, 3).policyHeader,
    '"x";q=3;w=26',
    'a window that is no whole number of seconds is rounded up',
  );
});

test('a new key starts full and refills at the rate, never beyond the burst', () => {
  const t = new BucketTable<string>(10);
  const b = t.get('k', rate, 0);
  assert.equal(b.tokens, 10);
  b.tokens = 0;
  assert.equal(secondsToNext(b, rate), 1);
  assert.equal(secondsToFull(b, rate), 10);
  assert.equal(t.get('k', rate, 2500).tokens, 2.5);
  assert.equal(remaining(t.get('k', rate, 2500)), 2);
  assert.equal(t.get('k', rate, 60_000).tokens, 10);
});

test('a clock going backwards adds nothing, and a smaller burst caps what is left', () => {
  const t = new BucketTable<string>(10);
  t.get('k', rate, 10_000).tokens = 4;
  assert.equal(t.get('k', rate, 5_000).tokens, 4);
  assert.equal(t.get('k', makeRate('api', 60, 2), 5_000).tokens, 2);
});

test('Retry-After is at least one second', () => {
  const fast = makeRate('api', 6000, 10);
  assert.equal(secondsToNext({ tokens: 0.99, at: 0, refusing: false }, fast), 1);
});

test('beyond maxKeys the least recently used key is dropped, so cycling keys costs bounded memory', () => {
  const t = new BucketTable<number>(3);
  for (const k of [1, 2, 3]) t.get(k, rate, 0).tokens = 0;
  t.get(1, rate, 0); // 1 is now the most recently used
  t.get(4, rate, 0);
  assert.equal(t.size, 3);
  assert.equal(t.get(1, rate, 0).tokens, 0, 'recently used key kept');
  assert.equal(t.get(2, rate, 0).tokens, 10, 'least recently used key was dropped and comes back full');
  for (let k = 100; k < 10_000; k++) t.get(k, rate, 0);
  assert.equal(t.size, 3);
});
