import { test } from 'node:test';
import assert from 'node:assert/strict';
import { safeEqual } from './secrets.ts';

test('safeEqual: equal only for the same bytes, whatever the lengths and types', () => {
  assert.equal(safeEqual('tshub_abc', 'tshub_abc'), true);
  assert.equal(safeEqual(Buffer.from('é'), 'é'), true);
  assert.equal(safeEqual('', ''), true);
  assert.equal(safeEqual('tshub_abc', 'tshub_abd'), false);
  assert.equal(safeEqual('tshub_abc', 'tshub_ab'), false);
  assert.equal(safeEqual('', 'x'), false);
  assert.equal(safeEqual('a'.repeat(10_000), `${'a'.repeat(9_999)}b`), false);
});
