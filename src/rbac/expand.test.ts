import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandScopes, reduceScopes, ScopeError, subscopeClosure } from './index.ts';
import type { ScopeOwner } from './index.ts';

const ann: ScopeOwner = { kind: 'user', name: 'ann' };
const cull: ScopeOwner = { kind: 'service', name: 'cull' };
const sorted = (s: Iterable<string>): string[] => [...s].sort();
const expand = (scopes: string[], owner: ScopeOwner | null = ann): string[] => sorted(expandScopes(scopes, owner));

test('transitive subscopes: admin:users reaches the read:users leaves', () => {
  assert.deepEqual(expand(['admin:users']), [
    'admin:auth_state',
    'admin:users',
    'delete:users',
    'list:users',
    'read:roles:users',
    'read:users',
    'read:users:activity',
    'read:users:groups',
    'read:users:name',
    'users',
    'users:activity',
  ]);
});

test('transitive subscopes along each branch', () => {
  assert.deepEqual(expand(['admin:servers']), [
    'admin:server_state',
    'admin:servers',
    'delete:servers',
    'read:servers',
    'read:users:name',
    'servers',
    'start:servers',
  ]);
  assert.deepEqual(expand(['admin:groups']), [
    'admin:groups',
    'delete:groups',
    'groups',
    'list:groups',
    'read:groups',
    'read:groups:name',
    'read:roles:groups',
  ]);
  assert.deepEqual(expand(['admin:services']), [
    'admin:services',
    'list:services',
    'read:roles:services',
    'read:services',
    'read:services:name',
  ]);
  assert.deepEqual(expand(['shares']), [
    'access:servers',
    'groups:shares',
    'read:groups:shares',
    'read:shares',
    'read:users:shares',
    'shares',
    'users:shares',
  ]);
  assert.deepEqual(expand(['read:roles']), [
    'read:roles',
    'read:roles:groups',
    'read:roles:services',
    'read:roles:users',
  ]);
  assert.deepEqual(expand(['tokens']), ['read:tokens', 'tokens']);
  assert.deepEqual(expand(['list:users']), ['list:users', 'read:users:name']);
  assert.deepEqual(expand(['read:hub']), ['read:hub']);
});

test('a filter is carried onto every subscope', () => {
  assert.deepEqual(expand(['users!group=g']), [
    'list:users!group=g',
    'read:users!group=g',
    'read:users:activity!group=g',
    'read:users:groups!group=g',
    'read:users:name!group=g',
    'users!group=g',
    'users:activity!group=g',
  ]);
});

test('self for a user', () => {
  assert.deepEqual(expand(['self']), [
    'access:servers!user=ann',
    'delete:servers!user=ann',
    'read:servers!user=ann',
    'read:shares!user=ann',
    'read:tokens!user=ann',
    'read:users!user=ann',
    'read:users:activity!user=ann',
    'read:users:groups!user=ann',
    'read:users:name!user=ann',
    'read:users:shares!user=ann',
    'servers!user=ann',
    'start:servers!user=ann',
    'tokens!user=ann',
    'users:activity!user=ann',
    'users:shares!user=ann',
  ]);
  // self does not include the shares scope itself
  assert.ok(!expand(['self']).some((s) => s.startsWith('shares')));
});

test('self is empty for a service and without owner', () => {
  assert.deepEqual(expand(['self'], cull), []);
  assert.deepEqual(expand(['self'], null), []);
  assert.deepEqual(expand(['self', 'read:hub'], cull), ['read:hub']);
});

test('(no_scope) expands to nothing, alone or beside other scopes, and takes no filter', () => {
  assert.deepEqual(expandScopes(['(no_scope)'], { kind: 'user', name: 'alice' }), new Set());
  assert.deepEqual(expandScopes(['(no_scope)', 'read:metrics'], null), new Set(['read:metrics']));
  assert.throws(() => expandScopes(['(no_scope)!user=alice'], null), ScopeError);
});

test('inherit is passed through literally', () => {
  assert.deepEqual(expand(['inherit']), ['inherit']);
  assert.deepEqual(expand(['inherit', 'read:hub'], cull), ['inherit', 'read:hub']);
});

test('bare !user resolves to the owning user, and is dropped for a service', () => {
  assert.deepEqual(expand(['users:activity!user']), ['read:users:activity!user=ann', 'users:activity!user=ann']);
  assert.deepEqual(expand(['users:activity!user'], cull), []);
  assert.deepEqual(expand(['users:activity!user'], null), []);
});

test('bare !service resolves to the owning service, or the issuing service client', () => {
  assert.deepEqual(expand(['read:services!service'], cull), [
    'read:services!service=cull',
    'read:services:name!service=cull',
  ]);
  assert.deepEqual(expand(['access:services!service'], ann), []);
  assert.deepEqual(
    sorted(expandScopes(['access:services!service'], ann, { oauthClient: { kind: 'service', name: 'grader' } })),
    ['access:services!service=grader'],
  );
  assert.deepEqual(
    sorted(expandScopes(['access:services!service'], cull, { oauthClient: { kind: 'service', name: 'grader' } })),
    ['access:services!service=grader'],
  );
});

test('bare !server resolves only from an explicit server', () => {
  assert.deepEqual(expand(['access:servers!server']), []);
  assert.deepEqual(sorted(expandScopes(['access:servers!server'], { kind: 'user', name: 'ann', server: 'ann/lab' })), [
    'access:servers!server=ann/lab',
  ]);
  assert.deepEqual(
    sorted(expandScopes(['access:servers!server'], ann, { oauthClient: { kind: 'server', user: 'bob', server: '' } })),
    ['access:servers!server=bob/'],
  );
});

test('the server role expands as upstream for a server token', () => {
  const owner: ScopeOwner = { kind: 'user', name: 'ann', server: 'ann/' };
  assert.deepEqual(sorted(expandScopes(['users:activity!user', 'access:servers!server'], owner)), [
    'access:servers!server=ann/',
    'read:users:activity!user=ann',
    'users:activity!user=ann',
  ]);
});

test('a !server filter drops every read:users* subscope', () => {
  assert.deepEqual(expand(['servers!server=ann/lab']), [
    'delete:servers!server=ann/lab',
    'read:servers!server=ann/lab',
    'servers!server=ann/lab',
    'start:servers!server=ann/lab',
  ]);
  // even the scope itself when it is a read:users* scope
  assert.deepEqual(expand(['read:users!server=ann/lab']), []);
  assert.deepEqual(expand(['users!server=ann/']), [
    'list:users!server=ann/',
    'users!server=ann/',
    'users:activity!server=ann/',
  ]);
  assert.deepEqual(sorted(expandScopes(['read:servers!server'], { kind: 'user', name: 'ann', server: 'ann/x' })), [
    'read:servers!server=ann/x',
  ]);
  // a !user filter keeps them
  assert.ok(expand(['servers!user=ann']).includes('read:users:name!user=ann'));
});

test('unfiltered scopes absorb filtered copies', () => {
  assert.deepEqual(expand(['read:users', 'read:users!user=bob', 'users!user=bob']), [
    'list:users!user=bob',
    'read:users',
    'read:users:activity',
    'read:users:groups',
    'read:users:name',
    'users!user=bob',
    'users:activity!user=bob',
  ]);
  assert.deepEqual(sorted(reduceScopes(['a', 'a!user=x', 'b!user=x', 'b!group=g'])), ['a', 'b!group=g', 'b!user=x']);
});

test('filters for several targets are additive', () => {
  assert.deepEqual(expand(['read:tokens!user=a', 'read:tokens!user=b', 'read:tokens!group=g']), [
    'read:tokens!group=g',
    'read:tokens!user=a',
    'read:tokens!user=b',
  ]);
});

test('unknown and malformed scopes throw ScopeError naming the scope', () => {
  assert.throws(
    () => expandScopes(['read:hub', 'read:everything'], ann),
    (e: unknown) => e instanceof ScopeError && e.message.includes('read:everything'),
  );
  assert.throws(
    () => expandScopes(['read:users!foo=x'], ann),
    (e: unknown) => e instanceof ScopeError && e.message.includes('read:users!foo=x'),
  );
  assert.throws(() => expandScopes(['all'], ann), ScopeError);
  assert.throws(() => expandScopes(['self!user=bob'], ann), ScopeError);
  assert.throws(() => expandScopes(['custom:app:x'], ann), ScopeError);
});

test('custom scopes expand with their own subscopes', () => {
  const customScopes = {
    'custom:app:admin': { description: 'all', subscopes: ['custom:app:read'] },
    'custom:app:read': { description: 'read' },
  };
  assert.deepEqual(sorted(expandScopes(['custom:app:admin!user'], ann, { customScopes })), [
    'custom:app:admin!user=ann',
    'custom:app:read!user=ann',
  ]);
  assert.deepEqual(sorted(expandScopes(['custom:app:read'], ann, { customScopes: ['custom:app:read'] })), [
    'custom:app:read',
  ]);
  assert.deepEqual(sorted(subscopeClosure('custom:app:admin', customScopes)), ['custom:app:admin', 'custom:app:read']);
});
