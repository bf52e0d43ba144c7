import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  accessScopes,
  effectiveTokenScopes,
  excessTokenScopes,
  expandScopes,
  identifyScopes,
  intersectScopes,
} from './index.ts';
import type { ScopeOwner } from './index.ts';

const MEMBERS: Record<string, string[]> = { ann: ['staff'], bob: ['students'], carl: [] };
const groupsOf = (u: string): string[] => MEMBERS[u] ?? [];
const inter = (a: string[], b: string[]): string[] => [...intersectScopes(new Set(a), new Set(b), groupsOf)].sort();

test('disjoint bases give nothing; equal sets give themselves', () => {
  assert.deepEqual(inter(['read:users'], ['read:groups']), []);
  assert.deepEqual(inter(['read:users', 'read:hub'], ['read:users', 'read:hub']), ['read:hub', 'read:users']);
  assert.deepEqual(inter([], ['read:hub']), []);
});

test('unfiltered ∩ filtered = filtered, in both orders', () => {
  assert.deepEqual(inter(['read:users'], ['read:users!user=ann']), ['read:users!user=ann']);
  assert.deepEqual(inter(['read:users!group=staff', 'read:users!user=bob'], ['read:users']), [
    'read:users!group=staff',
    'read:users!user=bob',
  ]);
});

test('same-kind filters intersect by value', () => {
  assert.deepEqual(inter(['x!user=ann', 'x!user=bob'], ['x!user=bob', 'x!user=carl']), ['x!user=bob']);
  assert.deepEqual(inter(['x!user=ann'], ['x!user=bob']), []);
  assert.deepEqual(inter(['x!group=staff'], ['x!group=students']), []);
  assert.deepEqual(inter(['x!service=a', 'x!service=b'], ['x!service=b']), ['x!service=b']);
});

test('!user=u ∩ !group=g = !user=u when u is a member', () => {
  assert.deepEqual(inter(['x!user=ann'], ['x!group=staff']), ['x!user=ann']);
  assert.deepEqual(inter(['x!group=staff'], ['x!user=ann']), ['x!user=ann']);
  assert.deepEqual(inter(['x!user=bob'], ['x!group=staff']), []);
  assert.deepEqual(inter(['x!user=ann', 'x!user=bob'], ['x!group=staff', 'x!group=students']), [
    'x!user=ann',
    'x!user=bob',
  ]);
});

test('!server=u/s ∩ !user=u = the server; other users not', () => {
  assert.deepEqual(inter(['x!server=ann/lab'], ['x!user=ann']), ['x!server=ann/lab']);
  assert.deepEqual(inter(['x!user=ann'], ['x!server=ann/lab']), ['x!server=ann/lab']);
  assert.deepEqual(inter(['x!server=ann/lab'], ['x!user=bob']), []);
  assert.deepEqual(inter(['x!server=ann/lab'], ['x!server=ann/']), []);
});

test('!server=u/s ∩ !group=g = the server when u is a member', () => {
  assert.deepEqual(inter(['x!server=ann/lab'], ['x!group=staff']), ['x!server=ann/lab']);
  assert.deepEqual(inter(['x!group=staff'], ['x!server=ann/']), ['x!server=ann/']);
  assert.deepEqual(inter(['x!server=bob/'], ['x!group=staff']), []);
});

test('mixed filters keep every covered piece', () => {
  assert.deepEqual(inter(['x!user=ann', 'x!server=bob/', 'x!group=staff'], ['x!user=bob', 'x!group=staff']), [
    'x!group=staff',
    'x!server=bob/',
    'x!user=ann',
  ]);
  // a service filter never meets user filters
  assert.deepEqual(inter(['x!service=ann'], ['x!user=ann']), []);
});

test('group membership is looked up lazily and once per user', () => {
  const calls: string[] = [];
  const counting = (u: string): string[] => {
    calls.push(u);
    return groupsOf(u);
  };
  intersectScopes(
    new Set(['x!user=ann', 'y!user=ann', 'z!server=ann/']),
    new Set(['x!group=staff', 'y!group=staff', 'z!group=staff']),
    counting,
  );
  assert.deepEqual(calls, ['ann']);
  calls.length = 0;
  intersectScopes(new Set(['x!user=ann']), new Set(['x!user=ann', 'read:hub']), counting);
  assert.deepEqual(calls, []);
});

const ann: ScopeOwner = { kind: 'user', name: 'ann' };

test('identify and access scopes', () => {
  assert.deepEqual([...identifyScopes(ann)].sort(), ['read:users:groups!user=ann', 'read:users:name!user=ann']);
  assert.deepEqual([...identifyScopes({ kind: 'service', name: 'cull' })], ['read:services:name!service=cull']);
  assert.deepEqual([...accessScopes({ kind: 'server', user: 'ann', server: '' })], ['access:servers!server=ann/']);
  assert.deepEqual([...accessScopes({ kind: 'service', name: 'cull' })], ['access:services!service=cull']);
});

test('effective token scopes: inherit = exactly the owner scopes', () => {
  const ownerScopes = expandScopes(['self'], ann);
  assert.deepEqual(effectiveTokenScopes({ tokenScopes: ['inherit'], ownerScopes, owner: ann, groupsOf }), ownerScopes);
  assert.deepEqual(
    effectiveTokenScopes({ tokenScopes: ['inherit', 'admin:users'], ownerScopes, owner: ann, groupsOf }),
    ownerScopes,
  );
});

test('effective token scopes: token ∩ owner, plus identify', () => {
  const ownerScopes = expandScopes(['self'], ann);
  const eff = effectiveTokenScopes({
    tokenScopes: ['read:users', 'admin:users', 'read:hub'],
    ownerScopes,
    owner: ann,
    groupsOf,
  });
  // admin:users implies users:activity, which the owner does hold for herself
  assert.deepEqual([...eff].sort(), [
    'read:users!user=ann',
    'read:users:activity!user=ann',
    'read:users:groups!user=ann',
    'read:users:name!user=ann',
    'users:activity!user=ann',
  ]);
  // an empty token still identifies its owner
  assert.deepEqual([...effectiveTokenScopes({ tokenScopes: [], ownerScopes, owner: ann, groupsOf })].sort(), [
    'read:users:groups!user=ann',
    'read:users:name!user=ann',
  ]);
  // ...but only what the owner holds: a user with no roles at all gets nothing
  assert.deepEqual([...effectiveTokenScopes({ tokenScopes: [], ownerScopes: new Set(), owner: ann, groupsOf })], []);
});

test('effective token scopes of an OAuth token include access to the issuing server', () => {
  const ownerScopes = expandScopes(['self'], ann);
  const client = { kind: 'server', user: 'ann', server: 'lab' } as const;
  const eff = effectiveTokenScopes({ tokenScopes: [], ownerScopes, owner: ann, groupsOf, oauthClient: client });
  assert.ok(eff.has('access:servers!server=ann/lab'));
  const other = effectiveTokenScopes({
    tokenScopes: [],
    ownerScopes,
    owner: ann,
    groupsOf,
    oauthClient: { kind: 'server', user: 'bob', server: '' },
  });
  assert.ok(!other.has('access:servers!server=bob/'));
});

test('excess token scopes (conformance 30)', () => {
  const ownerScopes = expandScopes(['self'], ann);
  const excess = (tokenScopes: string[]): string[] =>
    [...excessTokenScopes({ tokenScopes, ownerScopes, owner: ann, groupsOf })].sort();
  assert.deepEqual(excess(['read:users!user']), []);
  assert.deepEqual(excess(['inherit']), []);
  assert.deepEqual(excess([]), []);
  assert.ok(excess(['read:users!user=other']).includes('read:users!user=other'));
  assert.ok(excess(['read:users']).includes('read:users'));
  assert.ok(excess(['admin:users']).includes('admin:users'));
  // group-granted scopes cover a member named explicitly
  const staffReader = expandScopes(['read:users!group=staff'], ann);
  assert.deepEqual(
    [
      ...excessTokenScopes({
        tokenScopes: ['read:users:name!user=ann'],
        ownerScopes: staffReader,
        owner: ann,
        groupsOf,
      }),
    ],
    [],
  );
  assert.deepEqual(
    [
      ...excessTokenScopes({
        tokenScopes: ['read:users:name!user=bob'],
        ownerScopes: staffReader,
        owner: ann,
        groupsOf,
      }),
    ],
    ['read:users:name!user=bob'],
  );
});
