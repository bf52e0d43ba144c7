import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkAccess, expandScopes, sortedScopes, whoamiScopes } from './index.ts';

test('sortedScopes sorts by code unit and drops duplicates', () => {
  assert.deepEqual(sortedScopes(['read:users', 'admin-ui', 'admin:users', 'Z', 'read:users!user=a', 'admin-ui']), [
    'Z',
    'admin-ui',
    'admin:users',
    'read:users',
    'read:users!user=a',
  ]);
  assert.deepEqual(sortedScopes(new Set<string>()), []);
});

test('whoami: identify scopes authorize the model but are not listed unless held', () => {
  const owner = { kind: 'user', name: 'ann' } as const;
  const held = expandScopes(['read:hub', 'read:users:name!user=ann'], owner);
  const { authorize, display } = whoamiScopes(held, owner);
  assert.deepEqual(display, ['read:hub', 'read:users:name!user=ann']);
  assert.ok(authorize.has('read:users:groups!user=ann'));
  assert.equal(checkAccess(authorize, ['read:users:groups'], { kind: 'user', name: 'ann', groups: [] }), 'ok');
  assert.equal(checkAccess(held, ['read:users:groups'], { kind: 'user', name: 'ann', groups: [] }), 'forbidden');
  // held is not modified
  assert.ok(!held.has('read:users:groups!user=ann'));
});

test('whoami for a service', () => {
  const { authorize, display } = whoamiScopes(new Set(), { kind: 'service', name: 'cull' });
  assert.deepEqual(display, []);
  assert.deepEqual([...authorize], ['read:services:name!service=cull']);
});
