import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loginName } from './username-map.ts';

test('username_map: looked up after lowercasing, with keys and values lowercased; others pass unchanged', () => {
  const a = { username_map: { 'Dave.Mixed': 'dave', 'e.smith@corp.example': 'ESmith' } };
  assert.equal(loginName(a, 'dave.mixed'), 'dave');
  assert.equal(loginName(a, 'E.Smith@Corp.Example'), 'esmith');
  assert.equal(loginName(a, 'Other'), 'other');
  assert.equal(loginName({ username_map: {} }, 'X'), 'x');
  assert.equal(loginName(a, 'constructor'), 'constructor', 'only own keys are names');
});
