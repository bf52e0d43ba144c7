import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import pino from 'pino';
import { buildConfig } from '../../config/index.ts';
import type { LdapConfig } from '../../config/schema-ldap.ts';
import type { LdapEntry, LdapSession } from './client.ts';
import { escapeDnValue, escapeFilterValue, fillTemplate, firstRdnValue } from './escape.ts';
import { authenticateLdap, ldapLogin } from './index.ts';

const log = pino({ level: 'silent' });

function ldapConfig(ldap: Record<string, unknown>, authenticator: Record<string, unknown> = {}) {
  return buildConfig({
    authenticator: { class: 'ldap', ldap: { server_address: 'ldap.example.org', ...ldap }, ...authenticator },
  }).authenticator;
}

/** A directory in memory: binds succeed for `passwords`, searches answer from `answer`; every call recorded. */
function fakeDirectory(
  passwords: Record<string, string>,
  answer: (base: string, filter: string) => LdapEntry[] = () => [],
) {
  const calls: string[] = [];
  const open = (_l: LdapConfig): LdapSession => ({
    async bind(dn, password) {
      calls.push(`bind ${dn}`);
      return passwords[dn] === password;
    },
    async search(base, scope, filter) {
      calls.push(`search ${scope} ${base} ${filter}`);
      return answer(base, filter);
    },
    async close() {},
  });
  return { calls, open };
}

describe('LDAP escaping', () => {
  test('a DN names its group by the first RDN value, unescaped (RFC 4514)', () => {
    assert.equal(firstRdnValue('cn=staff,ou=groups,dc=example,dc=org'), 'staff');
    assert.equal(firstRdnValue('CN = Physics Dept , OU=groups'), 'Physics Dept');
    assert.equal(firstRdnValue('cn=a\\,b\\2bc,ou=x'), 'a,b+c');
    assert.equal(firstRdnValue('cn=caf\\c3\\a9+uid=1,ou=x'), 'café');
    assert.equal(firstRdnValue('no-equals-sign'), 'no-equals-sign');
  });

  test('filter values (RFC 4515): the characters that shape a filter become \\XX', () => {
    assert.equal(escapeFilterValue('*'), '\\2a');
    assert.equal(escapeFilterValue(')(uid=*'), '\\29\\28uid=\\2a');
    assert.equal(escapeFilterValue('admin)(|(uid=*'), 'admin\\29\\28|\\28uid=\\2a');
    assert.equal(escapeFilterValue('a\\b\0'), 'a\\5cb\\00');
    assert.equal(escapeFilterValue('jürgen.o-k_1'), 'jürgen.o-k_1');
  });

  test('DN values (RFC 4514): separators, quotes and edge spaces are escaped', () => {
    assert.equal(escapeDnValue('alice,dc=evil'), 'alice\\,dc\\=evil');
    assert.equal(escapeDnValue('a+b;c<d>e"f\\g'), 'a\\+b\\;c\\<d\\>e\\"f\\\\g');
    assert.equal(escapeDnValue('#x '), '\\#x\\ ');
    assert.equal(escapeDnValue(' x'), '\\ x');
    assert.equal(escapeDnValue('nul\0'), 'nul\\00');
  });

  test("templates take named fields as Python's str.format does, and refuse unknown ones", () => {
    assert.equal(fillTemplate('uid={username},dc=x', { username: 'a\\,b' }), 'uid=a\\,b,dc=x');
    assert.equal(
      fillTemplate('{{literal}} ({login_attr}={login})', { login_attr: 'uid', login: 'bo' }),
      '{literal} (uid=bo)',
    );
    assert.throws(() => fillTemplate('{constructor}', {}), /unknown field or lone brace \{constructor\}/);
    assert.throws(() => fillTemplate('{}', { '': 'x' }), /lone brace/);
    assert.throws(() => fillTemplate('(uid={login)', { login: 'x' }), /lone brace/);
  });
});

describe('the LDAP login pipeline', () => {
  const USER_DN = 'uid=alice,ou=people,dc=example,dc=org';
  const template = { bind_dn_template: ['uid={username},ou=people,dc=example,dc=org'] };

  test('a blank password is refused before any connection: no bind is ever made', async () => {
    const dir = fakeDirectory({ [USER_DN]: '' });
    for (const pw of ['', '   ', '\t'])
      assert.equal(await authenticateLdap(ldapConfig(template).ldap, log, 'alice', pw, dir.open), null);
    assert.deepEqual(dir.calls, []);
  });

  test('valid_username_regex is checked first, from the start of the name as re.match does', async () => {
    const dir = fakeDirectory({ [USER_DN]: 'pw' });
    const l = ldapConfig(template).ldap;
    for (const bad of ['*', 'Alice', '1alice', 'alice,dc=evil', ')(uid=*'])
      assert.equal(await authenticateLdap(l, log, bad, 'pw', dir.open), null, bad);
    assert.deepEqual(dir.calls, []);
    assert.equal((await authenticateLdap(l, log, 'alice', 'pw', dir.open))?.dn, USER_DN);
  });

  test('with a permissive regex, a hostile name still cannot change the DN or the filter', async () => {
    const dir = fakeDirectory({}, () => []);
    const l = ldapConfig({ ...template, valid_username_regex: '.+' }).ldap;
    assert.equal(await authenticateLdap(l, log, 'alice,dc=evil', 'pw', dir.open), null);
    assert.deepEqual(dir.calls, ['bind uid=alice\\,dc\\=evil,ou=people,dc=example,dc=org']);
    const lookup = ldapConfig({
      lookup_dn: true,
      valid_username_regex: '.+',
      user_search_base: 'ou=people,dc=example,dc=org',
      user_attribute: 'uid',
      lookup_dn_user_dn_attribute: 'uid',
    }).ldap;
    dir.calls.length = 0;
    assert.equal(await authenticateLdap(lookup, log, 'admin)(|(uid=*', 'pw', dir.open), null);
    assert.deepEqual(dir.calls, ['search sub ou=people,dc=example,dc=org (uid=admin\\29\\28|\\28uid=\\2a)']);
  });

  test('lookup_dn: one entry found, bound as its DN; the name typed in stays unless use_lookup_dn_username', async () => {
    const entry = { dn: 'cn=Alice Example,ou=people,dc=example,dc=org', attributes: { uid: ['Alice.E'] } };
    const dir = fakeDirectory({ 'cn=reader,dc=example,dc=org': 'r', [entry.dn]: 'pw' }, (base) =>
      base.startsWith('ou=people') ? [entry] : [],
    );
    const ldap = {
      lookup_dn: true,
      user_search_base: 'ou=people,dc=example,dc=org',
      user_attribute: 'mail',
      lookup_dn_user_dn_attribute: 'uid',
      lookup_dn_search_user: 'cn=reader,dc=example,dc=org',
      lookup_dn_search_password: 'r',
    };
    const who = await authenticateLdap(ldapConfig(ldap).ldap, log, 'alice', 'pw', dir.open);
    assert.deepEqual([who?.name, who?.dn], ['alice', entry.dn]);
    assert.deepEqual(dir.calls, [
      'bind cn=reader,dc=example,dc=org',
      'search sub ou=people,dc=example,dc=org (mail=alice)',
      `bind ${entry.dn}`,
    ]);
    const renamed = await authenticateLdap(
      ldapConfig({ ...ldap, use_lookup_dn_username: true }).ldap,
      log,
      'alice',
      'pw',
      dir.open,
    );
    assert.equal(renamed?.name, 'Alice.E');
  });

  test('groups: allowed_groups admits members only, admin_groups grants and removes admin', async () => {
    const staff = 'cn=staff,ou=groups,dc=example,dc=org';
    const admins = 'cn=admins,ou=groups,dc=example,dc=org';
    const members: Record<string, string[]> = { [staff]: ['alice', 'dave'], [admins]: ['dave'] };
    const dir = fakeDirectory(
      {
        'uid=alice,ou=people,dc=example,dc=org': 'a',
        'uid=dave,ou=people,dc=example,dc=org': 'd',
        'uid=carol,ou=people,dc=example,dc=org': 'c',
      },
      (base, filter) =>
        members[base]?.some((u) => filter.includes(`(memberUid=${u})`)) ? [{ dn: base, attributes: {} }] : [],
    );
    const a = ldapConfig({ ...template, allowed_groups: [staff], admin_groups: [admins] });
    assert.deepEqual(await ldapLogin(a, log, 'alice', 'a', dir.open), { name: 'alice', allowed: true, admin: false });
    assert.deepEqual(await ldapLogin(a, log, 'dave', 'd', dir.open), { name: 'dave', allowed: true, admin: true });
    assert.equal(await ldapLogin(a, log, 'carol', 'c', dir.open), null);
    assert.ok(
      dir.calls.includes(
        `search base ${staff} (|(member=uid=alice,ou=people,dc=example,dc=org)(uniqueMember=uid=alice,ou=people,dc=example,dc=org)(memberUid=alice))`,
      ),
    );
    const listed = ldapConfig({ ...template, allowed_groups: [staff] }, { allowed_users: ['carol'] });
    assert.deepEqual(await ldapLogin(listed, log, 'carol', 'c', dir.open), { name: 'carol', allowed: true });
    const blocked = ldapConfig({ ...template, allowed_groups: [staff] }, { blocked_users: ['alice'] });
    assert.equal(await ldapLogin(blocked, log, 'alice', 'a', dir.open), null);
    // manage_groups without group_search_base: the configured groups the user is in, by their cn.
    const managed = ldapConfig(
      { ...template, allowed_groups: [staff], admin_groups: [admins] },
      { manage_groups: true },
    );
    assert.deepEqual(await ldapLogin(managed, log, 'dave', 'd', dir.open), {
      name: 'dave',
      allowed: true,
      admin: true,
      groups: ['staff', 'admins'],
    });
  });
});

describe('the LDAP login pipeline: searches after the bind', () => {
  const people = 'ou=people,dc=example,dc=org';
  const bind = { bind_dn_template: [`uid={username},${people}`], user_search_base: people, user_attribute: 'uid' };
  const dn = (u: string) => `uid=${u},${people}`;

  test('search_filter must find exactly one entry, searched with the escaped name', async () => {
    const hits: Record<string, number> = { alice: 1, twins: 2, ghost: 0 };
    const dir = fakeDirectory({ [dn('alice')]: 'a', [dn('twins')]: 't', [dn('ghost')]: 'g' }, (_b, filter) => {
      const n = hits[/\(uid=(\w+)\)/.exec(filter)?.[1] ?? ''] ?? 0;
      return Array.from({ length: n }, (_, i) => ({ dn: `uid=x${i},${people}`, attributes: {} }));
    });
    const l = ldapConfig({ ...bind, search_filter: '(&(objectClass=person)({userattr}={username}))' }).ldap;
    assert.equal((await authenticateLdap(l, log, 'alice', 'a', dir.open))?.name, 'alice');
    assert.equal(await authenticateLdap(l, log, 'twins', 't', dir.open), null);
    assert.equal(await authenticateLdap(l, log, 'ghost', 'g', dir.open), null);
    assert.ok(dir.calls.includes(`search sub ${people} (&(objectClass=person)(uid=alice))`));
  });

  test('group_search_base: one subtree search, groups matched by DN whatever their case and spacing', async () => {
    const staff = 'cn=staff,ou=groups,dc=example,dc=org';
    const dir = fakeDirectory({ [dn('alice')]: 'a' }, (base) =>
      base === 'ou=groups,dc=example,dc=org' ? [{ dn: 'CN=Staff, OU=Groups, DC=example, DC=org', attributes: {} }] : [],
    );
    const l = ldapConfig({
      ...bind,
      allowed_groups: [staff, 'cn=other,ou=groups,dc=example,dc=org'],
      group_search_base: 'ou=groups,dc=example,dc=org',
    }).ldap;
    assert.deepEqual((await authenticateLdap(l, log, 'alice', 'a', dir.open))?.groups, [staff]);
    assert.equal(dir.calls.filter((c) => c.startsWith('search')).length, 1);
  });

  test('lookup_dn refuses no entry, several entries, and a service account that cannot bind', async () => {
    const entry = (n: number) => ({ dn: `uid=u${n},${people}`, attributes: { uid: [`u${n}`] } });
    const answers: Record<string, LdapEntry[]> = { none: [], two: [entry(1), entry(2)] };
    const dir = fakeDirectory({ 'cn=reader,dc=example,dc=org': 'r' }, (_b, f) => answers[/=(\w+)\)$/.exec(f)![1]!]!);
    const lookup = {
      lookup_dn: true,
      user_search_base: people,
      user_attribute: 'uid',
      lookup_dn_user_dn_attribute: 'uid',
      lookup_dn_search_user: 'cn=reader,dc=example,dc=org',
      lookup_dn_search_password: 'r',
    };
    for (const name of ['none', 'two'])
      assert.equal(await authenticateLdap(ldapConfig(lookup).ldap, log, name, 'pw', dir.open), null, name);
    dir.calls.length = 0;
    const wrong = ldapConfig({ ...lookup, lookup_dn_search_password: 'not-r' }).ldap;
    assert.equal(await authenticateLdap(wrong, log, 'none', 'pw', dir.open), null);
    assert.deepEqual(dir.calls, ['bind cn=reader,dc=example,dc=org'], 'no search after the failed service bind');
  });
});

describe('LDAP config checks', () => {
  test('a server and a way to the DN are required', () => {
    assert.throws(
      () => buildConfig({ authenticator: { class: 'ldap' } }),
      /authenticator\.ldap\.server_address[\s\S]*authenticator\.ldap\.bind_dn_template/,
    );
    assert.throws(
      () => buildConfig({ authenticator: { class: 'ldap', ldap: { server_address: 'x', lookup_dn: true } } }),
      /user_search_base[\s\S]*user_attribute[\s\S]*lookup_dn_user_dn_attribute/,
    );
    assert.throws(
      () =>
        buildConfig({
          authenticator: { class: 'ldap', ldap: { server_address: 'x', bind_dn_template: ['uid={user},dc=x'] } },
        }),
      /bind_dn_template.*may only use the fields \{username\}/,
    );
  });
});
