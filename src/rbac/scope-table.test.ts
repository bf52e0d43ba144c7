import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeScope, isKnownScope, parseScope, ScopeError, SCOPE_TABLE, validateCustomScopes } from './index.ts';

// API.md section 3, written out independently of the implementation: name -> direct subscopes.
const EXPECTED: Record<string, string[]> = {
  'admin:users': ['admin:auth_state', 'users', 'read:roles:users', 'delete:users'],
  users: ['read:users', 'list:users', 'users:activity'],
  'list:users': ['read:users:name'],
  'read:users': ['read:users:name', 'read:users:groups', 'read:users:activity'],
  'users:activity': ['read:users:activity'],
  'read:roles': ['read:roles:users', 'read:roles:services', 'read:roles:groups'],
  'admin:servers': ['admin:server_state', 'servers'],
  servers: ['read:servers', 'start:servers', 'delete:servers'],
  'read:servers': ['read:users:name'],
  tokens: ['read:tokens'],
  'admin:groups': ['groups', 'read:roles:groups', 'delete:groups'],
  groups: ['read:groups', 'list:groups'],
  'read:groups': ['read:groups:name'],
  'list:groups': ['read:groups:name'],
  'admin:services': ['list:services', 'read:services', 'read:roles:services'],
  'list:services': ['read:services:name'],
  'read:services': ['read:services:name'],
  shares: ['access:servers', 'read:shares', 'users:shares', 'groups:shares'],
  'users:shares': ['read:users:shares'],
  'groups:shares': ['read:groups:shares'],
  // leaves
  'admin-ui': [],
  'read:hub': [],
  'access:servers': [],
  'access:services': [],
  proxy: [],
  shutdown: [],
  'read:metrics': [],
  'admin:auth_state': [],
  'delete:users': [],
  'read:users:name': [],
  'read:users:groups': [],
  'read:users:activity': [],
  'read:roles:users': [],
  'read:roles:services': [],
  'read:roles:groups': [],
  'admin:server_state': [],
  'start:servers': [],
  'delete:servers': [],
  'read:tokens': [],
  'delete:groups': [],
  'read:groups:name': [],
  'read:services:name': [],
  'read:shares': [],
  'read:users:shares': [],
  'read:groups:shares': [],
};

test('the scope table has exactly the documented scopes', () => {
  assert.deepEqual(Object.keys(SCOPE_TABLE).sort(), Object.keys(EXPECTED).sort());
});

for (const [name, subs] of Object.entries(EXPECTED)) {
  test(`direct subscopes of ${name}`, () => {
    const entry = SCOPE_TABLE[name];
    assert.ok(entry, name);
    assert.deepEqual([...entry.subscopes].sort(), [...subs].sort());
    assert.ok(entry.description.length > 5);
  });
}

test('every subscope is itself in the table, and the graph has no cycle', () => {
  const visiting = new Set<string>();
  const walk = (n: string): void => {
    assert.ok(!visiting.has(n), `cycle at ${n}`);
    visiting.add(n);
    for (const s of SCOPE_TABLE[n]?.subscopes ?? assert.fail(`missing ${n}`)) walk(s);
    visiting.delete(n);
  };
  for (const n of Object.keys(SCOPE_TABLE)) walk(n);
});

test('parseScope splits base and filter', () => {
  assert.deepEqual(parseScope('read:users'), { base: 'read:users', filter: null });
  assert.deepEqual(parseScope('read:users!user=ann'), { base: 'read:users', filter: { kind: 'user', value: 'ann' } });
  assert.deepEqual(parseScope('access:servers!server=ann/lab'), {
    base: 'access:servers',
    filter: { kind: 'server', value: 'ann/lab' },
  });
  assert.deepEqual(parseScope('read:users!group=g1'), { base: 'read:users', filter: { kind: 'group', value: 'g1' } });
  assert.deepEqual(parseScope('read:services!service=cull'), {
    base: 'read:services',
    filter: { kind: 'service', value: 'cull' },
  });
  assert.deepEqual(parseScope('users:activity!user'), {
    base: 'users:activity',
    filter: { kind: 'user', value: null },
  });
  assert.deepEqual(parseScope('access:servers!server'), {
    base: 'access:servers',
    filter: { kind: 'server', value: null },
  });
  assert.deepEqual(parseScope('access:services!service'), {
    base: 'access:services',
    filter: { kind: 'service', value: null },
  });
  // the value keeps everything after the first '='
  assert.deepEqual(parseScope('read:users!user=a=b'), { base: 'read:users', filter: { kind: 'user', value: 'a=b' } });
});

test('parseScope rejects malformed filters', () => {
  for (const bad of [
    'read:users!foo=x',
    'read:users!foo',
    'read:users!',
    'read:users!user=',
    'read:users!group',
    'read:users!=x',
    'read:users!users=x',
  ]) {
    assert.throws(() => parseScope(bad), ScopeError, bad);
  }
  assert.throws(() => parseScope('read:users!foo=x'), /read:users!foo=x/);
});

test('isKnownScope', () => {
  for (const ok of [
    'read:users',
    'read:users!user=a',
    'servers!server=a/',
    'start:servers',
    'shares!group=g',
    'self',
    'inherit',
    '(no_scope)',
    'read:metrics',
    'users:activity!user',
  ]) {
    assert.equal(isKnownScope(ok), true, ok);
  }
  for (const bad of [
    'read:user',
    'all',
    'admin',
    '',
    '!user=a',
    'read:users!foo=x',
    'self!user=a',
    'inherit!user',
    'toString',
    '__proto__',
    'custom:x:y',
    '(no_scope)!user=a',
  ]) {
    assert.equal(isKnownScope(bad), false, bad);
  }
});

test('custom scopes are known only when listed', () => {
  assert.equal(isKnownScope('custom:app:read'), false);
  assert.equal(isKnownScope('custom:app:read', ['custom:app:read']), true);
  assert.equal(isKnownScope('custom:app:read!user=a', ['custom:app:read']), true);
  assert.equal(isKnownScope('custom:app:write', ['custom:app:read']), false);
  assert.equal(isKnownScope('custom:app:read', { 'custom:app:read': { description: 'x' } }), true);
  // a name outside the custom: namespace cannot be smuggled in
  assert.equal(isKnownScope('made:up', ['made:up']), false);
});

test('validateCustomScopes follows upstream rules', () => {
  assert.deepEqual(
    validateCustomScopes({
      'custom:app:read': { description: 'read', subscopes: ['custom:app:list'] },
      'custom:app:list': { description: 'list' },
    }),
    [],
  );
  const errs = validateCustomScopes({
    'app:read': { description: 'no prefix' },
    'custom:x-': { description: 'bad end' },
    'custom:nodesc': {},
    'custom:builtin': { description: 'd', subscopes: ['read:users'] },
    'custom:missing': { description: 'd', subscopes: ['custom:nope'] },
  });
  assert.equal(errs.length, 5, errs.join('\n'));
  assert.ok(errs.some((e) => e.includes("'app:read'")));
  assert.ok(errs.some((e) => e.includes('custom:x-')));
  assert.ok(errs.some((e) => e.includes('custom:nodesc') && e.includes('description')));
  assert.ok(errs.some((e) => e.includes('read:users') && e.includes('built-in')));
  assert.ok(errs.some((e) => e.includes('custom:nope')));
  assert.equal(validateCustomScopes([]).length, 1);
});

test('describeScope', () => {
  assert.equal(describeScope('read:users!user=a'), SCOPE_TABLE['read:users']?.description);
  assert.match(describeScope('self') ?? '', /own/);
  assert.equal(describeScope('custom:a:b', { 'custom:a:b': { description: 'Mine' } }), 'Mine');
  assert.equal(describeScope('nope'), undefined);
});
