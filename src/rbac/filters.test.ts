import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkAccess,
  expandScopes,
  filterAllowsGroup,
  filterAllowsServer,
  filterAllowsService,
  filterAllowsUser,
  holdsInAnyForm,
  scopeFilter,
} from './index.ts';
import type { Resource } from './index.ts';

const user = (name: string, groups: string[] = []): Resource => ({ kind: 'user', name, groups });
const server = (u: string, s: string, groups: string[] = []): Resource => ({
  kind: 'server',
  user: u,
  server: s,
  groups,
});
const group = (name: string): Resource => ({ kind: 'group', name });
const service = (name: string): Resource => ({ kind: 'service', name });

test('unfiltered scope: ok on any resource and without one', () => {
  const held = new Set(['read:users']);
  assert.equal(checkAccess(held, ['read:users'], user('x')), 'ok');
  assert.equal(checkAccess(held, ['read:users'], null), 'ok');
});

test('!user=u matches u and all of u servers, but not others', () => {
  const held = new Set(['servers!user=ann']);
  assert.equal(checkAccess(held, ['servers'], user('ann')), 'ok');
  assert.equal(checkAccess(held, ['servers'], server('ann', '')), 'ok');
  assert.equal(checkAccess(held, ['servers'], server('ann', 'lab')), 'ok');
  assert.equal(checkAccess(held, ['servers'], user('bob')), 'not_found');
  assert.equal(checkAccess(held, ['servers'], server('bob', '')), 'not_found');
  // a user filter does not reach a group or a service of the same name
  assert.equal(checkAccess(held, ['servers'], group('ann')), 'not_found');
  assert.equal(checkAccess(held, ['servers'], service('ann')), 'not_found');
});

test('!server=u/s matches only that server, not its user', () => {
  const held = new Set(['access:servers!server=ann/lab']);
  assert.equal(checkAccess(held, ['access:servers'], server('ann', 'lab')), 'ok');
  assert.equal(checkAccess(held, ['access:servers'], server('ann', '')), 'not_found');
  assert.equal(checkAccess(held, ['access:servers'], server('bob', 'lab')), 'not_found');
  assert.equal(checkAccess(held, ['access:servers'], user('ann')), 'not_found');
  // the default server is 'u/'
  assert.equal(checkAccess(new Set(['access:servers!server=ann/']), ['access:servers'], server('ann', '')), 'ok');
});

test('!group=g matches members, their servers, and the group itself', () => {
  const held = new Set(['read:users!group=staff', 'read:servers!group=staff', 'read:groups!group=staff']);
  assert.equal(checkAccess(held, ['read:users'], user('ann', ['staff'])), 'ok');
  assert.equal(checkAccess(held, ['read:users'], user('ann', ['x', 'staff'])), 'ok');
  assert.equal(checkAccess(held, ['read:users'], user('bob', ['students'])), 'not_found');
  assert.equal(checkAccess(held, ['read:users'], user('carl')), 'not_found');
  assert.equal(checkAccess(held, ['read:servers'], server('ann', 'lab', ['staff'])), 'ok');
  assert.equal(checkAccess(held, ['read:servers'], server('bob', 'lab', ['students'])), 'not_found');
  assert.equal(checkAccess(held, ['read:groups'], group('staff')), 'ok');
  assert.equal(checkAccess(held, ['read:groups'], group('students')), 'not_found');
});

test('!service=s matches that service only', () => {
  const held = new Set(['read:services!service=cull']);
  assert.equal(checkAccess(held, ['read:services'], service('cull')), 'ok');
  assert.equal(checkAccess(held, ['read:services'], service('other')), 'not_found');
  assert.equal(checkAccess(held, ['read:services'], user('cull')), 'not_found');
});

test('403 when the scope is not held in any form, 404 when held only for others', () => {
  const held = new Set(['read:users!user=ann']);
  assert.equal(checkAccess(held, ['admin:users'], user('ann')), 'forbidden');
  assert.equal(checkAccess(held, ['admin:users'], null), 'forbidden');
  assert.equal(checkAccess(held, ['read:users'], user('bob')), 'not_found');
  assert.equal(checkAccess(new Set(), ['read:users'], user('bob')), 'forbidden');
  // a prefix of a held scope name is not that scope
  assert.equal(checkAccess(new Set(['read:users:name!user=ann']), ['read:users'], user('bob')), 'forbidden');
  assert.equal(checkAccess(new Set(['read:users:name']), ['read:users'], null), 'forbidden');
});

test('any of several scopes: ok if one matches, 404 if one is held for others', () => {
  const held = new Set(['read:users:name!user=ann', 'read:servers!user=bob']);
  const anyOf = ['read:users', 'read:users:name', 'read:servers', 'read:users:groups'];
  assert.equal(checkAccess(held, anyOf, user('ann')), 'ok');
  assert.equal(checkAccess(held, anyOf, user('bob')), 'ok');
  assert.equal(checkAccess(held, anyOf, user('carl')), 'not_found');
  assert.equal(checkAccess(held, ['admin:users', 'delete:users'], user('ann')), 'forbidden');
});

test('a filtered scope satisfies a resource-less check (the caller post-filters)', () => {
  assert.equal(checkAccess(new Set(['list:users!group=g']), ['list:users'], null), 'ok');
  assert.equal(checkAccess(new Set(['list:users!group=g']), ['read:hub'], null), 'forbidden');
});

test('a user role, expanded, gives the documented 404/403 pattern (conformance 16, 31)', () => {
  const held = expandScopes(['self'], { kind: 'user', name: 'ann' });
  assert.equal(checkAccess(held, ['read:users'], user('ann')), 'ok');
  assert.equal(checkAccess(held, ['read:users'], user('bob')), 'not_found');
  assert.equal(checkAccess(held, ['list:users'], null), 'forbidden');
  assert.equal(checkAccess(held, ['users:activity'], user('ann')), 'ok');
  assert.equal(checkAccess(held, ['start:servers'], server('ann', 'x')), 'ok');
  assert.equal(checkAccess(held, ['shares'], server('ann', 'x')), 'forbidden');
  const serverRole = expandScopes(['users:activity!user', 'access:servers!server'], {
    kind: 'user',
    name: 'ann',
    server: 'ann/',
  });
  assert.equal(checkAccess(serverRole, ['users:activity'], user('ann')), 'ok');
  assert.equal(checkAccess(serverRole, ['users:activity'], user('bob')), 'not_found');
  assert.equal(checkAccess(serverRole, ['list:users'], null), 'forbidden');
});

test('holdsInAnyForm', () => {
  const held = new Set(['a!user=x', 'b']);
  assert.equal(holdsInAnyForm(held, 'a'), true);
  assert.equal(holdsInAnyForm(held, 'b'), true);
  assert.equal(holdsInAnyForm(held, 'c'), false);
  assert.equal(holdsInAnyForm(new Set(['ab!user=x']), 'a'), false);
});

test('scopeFilter collects the filters per kind', () => {
  assert.deepEqual(scopeFilter(new Set(['read:users', 'read:users!user=x']), 'read:users'), { all: true });
  assert.equal(scopeFilter(new Set(['read:users:name']), 'read:users'), null);
  assert.equal(scopeFilter(new Set(), 'read:users'), null);
  const f = scopeFilter(
    new Set([
      'read:users!user=ann',
      'read:users!user=bob',
      'read:users!group=staff',
      'read:users!server=carl/',
      'read:users!service=s',
      'read:users:name!user=zed',
    ]),
    'read:users',
  );
  assert.ok(f && !f.all);
  assert.deepEqual([...f.users].sort(), ['ann', 'bob']);
  assert.deepEqual([...f.groups], ['staff']);
  assert.deepEqual([...f.servers], ['carl/']);
  assert.deepEqual([...f.services], ['s']);
});

test('filter predicates', () => {
  const f = scopeFilter(new Set(['x!user=ann', 'x!group=staff', 'x!server=bob/lab', 'x!service=cull']), 'x');
  assert.ok(f);
  assert.equal(filterAllowsUser(f, 'ann', []), true);
  assert.equal(filterAllowsUser(f, 'dan', ['staff']), true);
  assert.equal(filterAllowsUser(f, 'dan', ['students']), false);
  assert.equal(filterAllowsUser(f, 'bob', []), false); // a server filter does not reveal the user
  assert.equal(filterAllowsServer(f, 'bob', 'lab', []), true);
  assert.equal(filterAllowsServer(f, 'bob', '', []), false);
  assert.equal(filterAllowsServer(f, 'ann', 'any', []), true);
  assert.equal(filterAllowsServer(f, 'dan', '', ['staff']), true);
  assert.equal(filterAllowsServer(f, 'dan', '', []), false);
  assert.equal(filterAllowsGroup(f, 'staff'), true);
  assert.equal(filterAllowsGroup(f, 'ann'), false);
  assert.equal(filterAllowsService(f, 'cull'), true);
  assert.equal(filterAllowsService(f, 'ann'), false);
  const all = { all: true } as const;
  assert.equal(filterAllowsUser(all, 'z', []), true);
  assert.equal(filterAllowsServer(all, 'z', 'q', []), true);
  assert.equal(filterAllowsGroup(all, 'z'), true);
  assert.equal(filterAllowsService(all, 'z'), true);
});
