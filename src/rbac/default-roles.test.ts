import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ADMIN_SCOPES,
  DEFAULT_ROLES,
  defaultRoles,
  expandScopes,
  isKnownScope,
  mergeRoleOverride,
  ROLE_NAME_PATTERN,
  RoleError,
  rolesToLoad,
  SCOPE_TABLE,
  validateLoadRoles,
  validateRoleSpec,
} from './index.ts';

const role = (name: string) => DEFAULT_ROLES.find((r) => r.name === name) ?? assert.fail(name);

test('the four default roles with their documented scopes', () => {
  assert.deepEqual(
    DEFAULT_ROLES.map((r) => r.name),
    ['user', 'admin', 'server', 'token'],
  );
  assert.deepEqual(role('user').scopes, ['self']);
  assert.deepEqual(role('server').scopes, ['users:activity!user', 'access:servers!server']);
  assert.deepEqual(role('token').scopes, ['inherit']);
  assert.deepEqual([...(role('admin').scopes ?? [])].sort(), [
    'access:servers',
    'access:services',
    'admin-ui',
    'admin:groups',
    'admin:servers',
    'admin:services',
    'admin:users',
    'list:services',
    'proxy',
    'read:hub',
    'read:metrics',
    'read:roles',
    'read:services',
    'shares',
    'shutdown',
    'tokens',
  ]);
  for (const r of DEFAULT_ROLES) for (const s of r.scopes ?? []) assert.ok(isKnownScope(s), s);
  assert.ok(Object.isFrozen(DEFAULT_ROLES) && Object.isFrozen(role('admin')));
});

test('extra user scopes are appended to the user role only', () => {
  const roles = defaultRoles(['read:hub', 'list:users']);
  assert.deepEqual(roles.find((r) => r.name === 'user')?.scopes, ['self', 'read:hub', 'list:users']);
  assert.deepEqual(roles.find((r) => r.name === 'admin')?.scopes, [...ADMIN_SCOPES]);
});

test('the admin role reaches every built-in scope, unfiltered', () => {
  const expanded = expandScopes(ADMIN_SCOPES, { kind: 'user', name: 'root' });
  assert.deepEqual([...expanded].sort(), Object.keys(SCOPE_TABLE).sort());
});

test('ROLE_NAME_PATTERN', () => {
  for (const ok of ['abc', 'user', 'my-role', 'a.b~c_d', 'a1z', 'x'.repeat(255)])
    assert.ok(ROLE_NAME_PATTERN.test(ok), ok);
  for (const bad of ['ab', 'Abc', '1ab', '-ab', 'ab-', 'ab.', 'a b', 'ab/c', 'éab', 'x'.repeat(256), ''])
    assert.ok(!ROLE_NAME_PATTERN.test(bad), bad);
});

test('validateRoleSpec accepts a good spec', () => {
  assert.deepEqual(
    validateRoleSpec({
      name: 'culler',
      scopes: ['list:users', 'read:users:activity', 'read:servers', 'delete:servers'],
      services: ['idle-culler'],
    }),
    [],
  );
  assert.deepEqual(
    validateRoleSpec(
      {
        name: 'teacher',
        description: 'd',
        scopes: ['users!group=class', 'custom:lab:grade'],
        users: ['a'],
        groups: ['g'],
      },
      ['custom:lab:grade'],
    ),
    [],
  );
  assert.deepEqual(validateRoleSpec({ name: 'empty' }), []);
});

test('validateRoleSpec reports each problem by name', () => {
  const errs = validateRoleSpec({
    name: 'Bad Name',
    scopes: ['read:users', 'read:everything', 'read:users!foo=1'],
    tokens: [],
    users: 'ann',
  });
  assert.equal(errs.length, 5, errs.join('\n'));
  assert.ok(errs.some((e) => e.includes("'Bad Name'")));
  assert.ok(errs.some((e) => e.includes("'read:everything'")));
  assert.ok(errs.some((e) => e.includes("'read:users!foo=1'")));
  assert.ok(errs.some((e) => e.includes("'tokens'")));
  assert.ok(errs.some((e) => e.includes("'users'")));
  assert.deepEqual(validateRoleSpec({ scopes: [] }), ['A role definition must have a name']);
  assert.equal(validateRoleSpec('role').length, 1);
  assert.equal(validateRoleSpec({ name: 'abc', scopes: 'read:users' }).length, 1);
  assert.equal(validateRoleSpec({ name: 'abc', scopes: ['custom:lab:grade'] }).length, 1);
});

test('validateRoleSpec refuses admin overrides of description or scopes', () => {
  assert.deepEqual(validateRoleSpec({ name: 'admin', users: ['root'] }), []);
  assert.deepEqual(validateRoleSpec({ name: 'admin', scopes: [...ADMIN_SCOPES].reverse() }), []);
  assert.equal(validateRoleSpec({ name: 'admin', scopes: ['admin:users'] }).length, 1);
  assert.equal(validateRoleSpec({ name: 'admin', scopes: [...ADMIN_SCOPES, 'read:hub!user=x'] }).length, 1);
  assert.equal(validateRoleSpec({ name: 'admin', description: 'mine' }).length, 1);
});

test('validateLoadRoles finds duplicates', () => {
  assert.deepEqual(validateLoadRoles([{ name: 'abc' }, { name: 'user', scopes: ['self', 'read:hub'] }]), []);
  const errs = validateLoadRoles([{ name: 'abc' }, { name: 'abc', scopes: ['nope'] }]);
  assert.equal(errs.length, 2);
  assert.ok(errs.some((e) => e.includes('more than once')));
  assert.equal(validateLoadRoles({}).length, 1);
});

test('mergeRoleOverride: given keys replace, omitted keys stay', () => {
  const m = mergeRoleOverride(role('user'), { name: 'user', scopes: ['self', 'read:hub'], users: ['a'] });
  assert.deepEqual(m, {
    name: 'user',
    description: role('user').description,
    scopes: ['self', 'read:hub'],
    users: ['a'],
  });
  const s = mergeRoleOverride(role('server'), { name: 'server', description: 'mine' });
  assert.deepEqual(s.scopes, role('server').scopes);
  assert.equal(s.description, 'mine');
  // the merged role does not share arrays with the frozen default
  s.scopes?.push('read:hub');
  assert.equal(role('server').scopes?.length, 2);
});

test('mergeRoleOverride: admin keeps its scopes and description, members may be set', () => {
  const m = mergeRoleOverride(role('admin'), { name: 'admin', users: ['root'] });
  assert.deepEqual(m.users, ['root']);
  assert.deepEqual(m.scopes, [...ADMIN_SCOPES]);
  assert.throws(() => mergeRoleOverride(role('admin'), { name: 'admin', scopes: ['read:hub'] }), RoleError);
  assert.throws(
    () => mergeRoleOverride(role('admin'), { name: 'admin', scopes: [...ADMIN_SCOPES, 'read:users'] }),
    /Cannot override admin role/,
  );
  assert.throws(() => mergeRoleOverride(role('admin'), { name: 'admin', description: 'x' }), RoleError);
  assert.throws(() => mergeRoleOverride(role('user'), { name: 'admin' }), RoleError);
});

test('rolesToLoad: untouched defaults first, overrides merged, custom roles kept', () => {
  const loaded = rolesToLoad(
    [
      { name: 'culler', scopes: ['list:users'], services: ['c'] },
      { name: 'user', users: ['a'] },
    ],
    ['read:hub'],
  );
  assert.deepEqual(
    loaded.map((r) => r.name),
    ['admin', 'server', 'token', 'culler', 'user'],
  );
  assert.deepEqual(loaded.find((r) => r.name === 'user')?.scopes, ['self', 'read:hub']);
  assert.deepEqual(loaded.find((r) => r.name === 'user')?.users, ['a']);
  assert.deepEqual(
    rolesToLoad([]).map((r) => r.name),
    ['user', 'admin', 'server', 'token'],
  );
});
