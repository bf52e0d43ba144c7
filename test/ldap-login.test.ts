// The LDAP authenticator against a real OpenLDAP server (Debian's slapd, started by test/slapd.ts with its
// own config and seeded directory), through the hub's login form and the token request with a password:
// bind_dn_template and lookup_dn logins over StartTLS and ldaps, group allow and admin (groupOfNames and
// posixGroup), and attacks on the username and password.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import type { ConfigInput } from '../src/config/index.ts';
import { Browser } from './browser-session.ts';
import { startHub, type TestHub } from './harness.ts';
import { ADMINS, GROUPS, HUBUSERS, PEOPLE, PHYSICS, READER, STAFF, type Slapd, startSlapd, USERS } from './slapd.ts';

const INVALID = /role="alert">Invalid username or password</;
// Loosened so that escaping alone stands between a hostile name and the directory (the default regex
// would refuse these names before any request is made).
const ANY_NAME = '.+';
const ATTACKS = ['*', ')(uid=*', 'admin)(|(uid=*', '*)(uid=*', 'alice,dc=evil', 'alice)(objectClass=*'];

let slapd: Slapd;
before(async () => {
  slapd = await startSlapd();
});
after(() => slapd?.stop());

function ldapHub(ldap: Record<string, unknown>, authenticator: Record<string, unknown> = {}): Promise<TestHub> {
  return startHub({
    authenticator: {
      class: 'ldap',
      ...authenticator,
      ldap: {
        server_address: '127.0.0.1',
        server_port: slapd.port,
        tls_strategy: 'before_bind',
        tls_kwargs: { ca_certs_file: slapd.caFile },
        ...ldap,
      },
    },
  } as ConfigInput);
}

async function audit(h: TestHub, query: string): Promise<any[]> {
  await h.hub.ctx.audit.flush();
  const r = await h.request('GET', `hub/api/audit?${query}`);
  assert.equal(r.status, 200, r.text);
  return r.json;
}

/** What slapd logs from now on, once it has written it. */
function slapdLogFrom(): () => Promise<string> {
  const start = slapd.log().length;
  return async () => {
    await sleep(300);
    return slapd.log().slice(start);
  };
}

async function hubNames(h: TestHub): Promise<string[]> {
  const r = await h.request('GET', 'hub/api/users');
  return (r.json as { name: string }[]).map((u) => u.name).sort();
}

describe('LDAP login with bind_dn_template (StartTLS)', () => {
  let h: TestHub;
  before(async () => {
    h = await ldapHub(
      { bind_dn_template: [`uid={username},${PEOPLE}`], valid_username_regex: ANY_NAME },
      // Everyone the directory knows may log in.
      { username_map: { bob: 'robert' }, allow_all: true },
    );
  });
  after(() => h?.stop());

  test('the right password logs in through the form, and the user is created', async () => {
    const r = await new Browser(h).login('alice', USERS.alice);
    assert.equal(r.status, 302, r.text);
    assert.equal((await h.request('GET', 'hub/api/users/alice')).json.admin, false);
  });

  test("username_map: the directory's name binds, the mapped name is the hub user", async () => {
    assert.equal((await new Browser(h).login('bob', USERS.bob)).status, 302);
    assert.equal((await h.request('GET', 'hub/api/users/robert')).status, 200);
    assert.equal((await h.request('GET', 'hub/api/users/bob')).status, 404);
  });

  test('a wrong password: the form again with 403, and an audit login.failure', async () => {
    const r = await new Browser(h).login('bob', 'not-bobs-password');
    assert.equal(r.status, 403);
    assert.match(r.text, INVALID);
    const [failure] = await audit(h, 'action=login.failure&target=bob');
    assert.equal(failure.outcome, 'failure');
    assert.equal((await h.request('GET', 'hub/api/users/bob')).status, 404);
  });

  test('an empty or blank password is refused without any bind (an empty bind is anonymous)', async () => {
    const since = slapdLogFrom();
    for (const pw of ['', '  ']) {
      const r = await new Browser(h).login('carol', pw);
      assert.equal(r.status, 403);
    }
    assert.doesNotMatch(await since(), /BIND/);
    assert.equal((await h.request('GET', 'hub/api/users/carol')).status, 404);
  });

  test('injection in the username never logs in and never binds as anyone else', async () => {
    const since = slapdLogFrom();
    for (const name of ATTACKS) {
      const r = await new Browser(h).login(name, USERS.alice);
      assert.equal(r.status, 403, name);
    }
    const log = await since();
    // The DN injection reaches the server as one escaped RDN value under ou=people, not as another DN.
    assert.match(log, /BIND dn="uid=alice\\,dc\\=evil,ou=people,dc=example,dc=org"|BIND dn="uid=alice\\2Cdc\\3Devil/i);
    assert.doesNotMatch(log, /BIND dn="uid=alice,dc=evil/);
    assert.doesNotMatch(log, /RESULT tag=97 err=0/, 'no bind succeeded');
    assert.deepEqual(await hubNames(h), ['admin', 'alice', 'robert']);
  });

  test('the token request with username and password', async () => {
    const ok = await h.request('POST', 'hub/api/users/alice/tokens', {
      token: null,
      body: { auth: { username: 'alice', password: USERS.alice } },
    });
    assert.equal(ok.status, 201, ok.text);
    const bad = await h.request('POST', 'hub/api/users/alice/tokens', {
      token: null,
      body: { auth: { username: 'alice', password: 'wrong' } },
    });
    assert.equal(bad.status, 403);
    const blank = await h.request('POST', 'hub/api/users/alice/tokens', {
      token: null,
      body: { auth: { username: 'alice', password: '' } },
    });
    assert.equal(blank.status, 403);
  });
});

describe('LDAP login with lookup_dn and groups', () => {
  let h: TestHub;
  before(async () => {
    h = await ldapHub(
      {
        lookup_dn: true,
        user_search_base: PEOPLE,
        user_attribute: 'uid',
        lookup_dn_user_dn_attribute: 'uid',
        lookup_dn_search_user: READER.dn,
        lookup_dn_search_password: READER.password,
        allowed_groups: [STAFF, HUBUSERS],
        admin_groups: [ADMINS],
        valid_username_regex: ANY_NAME,
        auth_state_attributes: ['mail', 'cn'],
      },
      { enable_auth_state: true },
    );
  });
  after(() => h?.stop());

  test('a groupOfNames member (member DN) and a posixGroup member (memberUid) log in', async () => {
    assert.equal((await new Browser(h).login('alice', USERS.alice)).status, 302);
    assert.equal((await new Browser(h).login('bob', USERS.bob)).status, 302);
  });

  test('admin_groups makes an admin, who may log in without being in allowed_groups', async () => {
    assert.equal((await new Browser(h).login('dave', USERS.dave)).status, 302);
    assert.equal((await h.request('GET', 'hub/api/users/dave')).json.admin, true);
    assert.equal((await h.request('GET', 'hub/api/users/alice')).json.admin, false);
  });

  test("with enable_auth_state the login keeps upstream's LDAP auth_state: the groups found and the attributes asked for", async () => {
    const { json } = await h.request('GET', 'hub/api/users/dave');
    assert.deepEqual(json.auth_state, {
      ldap_groups: [ADMINS],
      user_attributes: { mail: ['dave@example.org'], cn: ['Dave Example'] },
    });
    const raw = await h.hub.ctx.k
      .selectFrom('users')
      .select('auth_state')
      .where('name', '=', 'dave')
      .executeTakeFirst();
    assert.match(raw!.auth_state!, /^gAAAAA/, 'encrypted at rest');
  });

  test('a user outside allowed_groups is refused, with the right password', async () => {
    const r = await new Browser(h).login('carol', USERS.carol);
    assert.equal(r.status, 403);
    assert.match(r.text, INVALID);
    assert.equal((await audit(h, 'action=login.failure&target=carol')).length, 1);
    assert.equal((await h.request('GET', 'hub/api/users/carol')).status, 404);
  });

  test('filter injection in the username finds no entry: the filter reaches slapd escaped', async () => {
    const since = slapdLogFrom();
    for (const name of ATTACKS) {
      const r = await new Browser(h).login(name, USERS.alice);
      assert.equal(r.status, 403, name);
    }
    const log = await since();
    assert.match(log, /filter="\(uid=\\2a\)"/i);
    assert.doesNotMatch(log, /filter="\(uid=\*\)"/);
    assert.doesNotMatch(log, /SEARCH RESULT tag=101 err=0 qtime=\S+ etime=\S+ nentries=[1-9]/);
    assert.deepEqual(await hubNames(h), ['admin', 'alice', 'bob', 'dave']);
  });
});

describe('LDAP manage_groups and admin_groups: the directory decides at each login', () => {
  let h: TestHub;
  before(async () => {
    h = await ldapHub(
      {
        bind_dn_template: [`uid={username},${PEOPLE}`],
        group_search_base: GROUPS,
        allowed_groups: [STAFF, HUBUSERS],
        admin_groups: [ADMINS],
      },
      { manage_groups: true },
    );
  });
  after(async () => {
    await slapd.replace(ADMINS, 'member', [`uid=dave,${PEOPLE}`]);
    await slapd.replace(PHYSICS, 'member', [`uid=alice,${PEOPLE}`]);
    await h?.stop();
  });
  const model = async (name: string) => {
    const u = (await h.request('GET', `hub/api/users/${name}`)).json;
    return { admin: u.admin, groups: [...u.groups].sort() };
  };

  test('every group the search finds becomes a hub group, named by its cn, not only the configured ones', async () => {
    assert.equal((await new Browser(h).login('alice', USERS.alice)).status, 302);
    assert.deepEqual(await model('alice'), { admin: false, groups: ['physics', 'staff'] });
    assert.equal((await new Browser(h).login('bob', USERS.bob)).status, 302);
    assert.deepEqual(await model('bob'), { admin: false, groups: ['hubusers'] });
  });

  test('the next login replaces them: a group left is left, joining admin_groups makes an admin, leaving it removes admin', async () => {
    assert.equal((await h.request('POST', 'hub/api/groups/local-only')).status, 201);
    assert.equal(
      (await h.request('POST', 'hub/api/groups/local-only/users', { body: { users: ['alice'] } })).status,
      200,
    );
    await slapd.replace(PHYSICS, 'member', [`uid=dave,${PEOPLE}`]);
    await slapd.replace(ADMINS, 'member', [`uid=dave,${PEOPLE}`, `uid=alice,${PEOPLE}`]);
    assert.equal((await new Browser(h).login('alice', USERS.alice)).status, 302);
    assert.deepEqual(await model('alice'), { admin: true, groups: ['admins', 'staff'] });
    await slapd.replace(ADMINS, 'member', [`uid=dave,${PEOPLE}`]);
    assert.equal((await new Browser(h).login('alice', USERS.alice)).status, 302);
    assert.deepEqual(await model('alice'), { admin: false, groups: ['staff'] });
    const events = await audit(h, 'action=group.remove_members');
    assert.ok(events.some((e) => e.target.name === 'local-only' && e.actor.name === 'alice'));
  });
});

describe('LDAP TLS', () => {
  test('ldaps (tls_strategy: on_connect) logs in', async () => {
    const h = await ldapHub(
      { server_port: slapd.tlsPort, tls_strategy: 'on_connect', bind_dn_template: [`uid={username},${PEOPLE}`] },
      { allow_all: true },
    );
    try {
      assert.equal((await new Browser(h).login('alice', USERS.alice)).status, 302);
    } finally {
      await h.stop();
    }
  });

  test('a certificate from another CA is refused, StartTLS and ldaps alike, before any password is sent', async () => {
    for (const [port, tls_strategy] of [
      [slapd.port, 'before_bind'],
      [slapd.tlsPort, 'on_connect'],
    ] as const) {
      const h = await ldapHub({
        server_port: port,
        tls_strategy,
        tls_kwargs: { ca_certs_file: slapd.wrongCaFile },
        bind_dn_template: [`uid={username},${PEOPLE}`],
      });
      const since = slapdLogFrom();
      try {
        const r = await new Browser(h).login('alice', USERS.alice);
        assert.equal(r.status, 503, tls_strategy);
        assert.match(r.text, /LDAP server is unavailable/);
        assert.doesNotMatch(await since(), /BIND/);
      } finally {
        await h.stop();
      }
    }
  });
});
