import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildConfig } from '../../config/index.ts';
import type { AuthenticatorConfig } from '../../config/schema-authenticator.ts';
import { admit, groupsOf, type Identity, usernameOf, valueAt } from './admission.ts';

const who = (oauth_user: Record<string, unknown>, id_token: Record<string, unknown> = {}): Identity => ({
  oauth_user,
  id_token,
});

const auth = (a: Record<string, unknown>, oauth: Record<string, unknown> = {}): AuthenticatorConfig =>
  buildConfig({
    authenticator: { class: 'oauth', ...a, oauth: { client_id: 'c', oidc_issuer: 'https://idp.example/', ...oauth } },
  }).authenticator;

describe('what the provider says', () => {
  test('valueAt follows dotted paths through own keys only', () => {
    const v = { a: { b: { c: ['x'] } } };
    assert.deepEqual(valueAt(v, 'a.b.c'), ['x']);
    assert.equal(valueAt(v, 'a.x.c'), undefined);
    assert.equal(valueAt(v, 'a.constructor'), undefined);
    assert.equal(valueAt({ a: 'str' }, 'a.length'), undefined);
  });

  test('the username comes from userinfo, else the id_token, lowercased', () => {
    assert.equal(usernameOf('preferred_username', who({ preferred_username: 'Alice' })), 'alice');
    assert.equal(usernameOf('preferred_username', who({}, { preferred_username: 'Bob' })), 'bob');
    assert.equal(usernameOf('uid', who({ uid: 1234 })), '1234');
    assert.equal(usernameOf('preferred_username', who({ preferred_username: ['x'] })), null);
    assert.equal(usernameOf('preferred_username', who({})), null);
  });

  test('groups come from auth_state_groups_key: a list, a single string, or nothing', () => {
    assert.deepEqual(groupsOf('oauth_user.groups', who({ groups: ['a', 2, 'b'] })), ['a', 'b']);
    assert.deepEqual(groupsOf('oauth_user.groups', who({ groups: 'a' })), ['a']);
    assert.deepEqual(groupsOf('id_token.realm_access.roles', who({}, { realm_access: { roles: ['r'] } })), ['r']);
    assert.deepEqual(groupsOf('oauth_user.groups', who({ groups: { a: 1 } })), []);
  });
});

describe('admission', () => {
  test('names must be valid and match username_pattern; blocked_users never get in', () => {
    assert.deepEqual(admit(auth({}), 'a/b', []), { allowed: false, why: 'invalid username' });
    assert.deepEqual(admit(auth({ username_pattern: '[a-z]+' }), 'al1ce', []), {
      allowed: false,
      why: 'invalid username',
    });
    assert.deepEqual(admit(auth({ blocked_users: ['eve'] }, { admin_groups: ['adm'] }), 'eve', ['adm']), {
      allowed: false,
      why: 'in blocked_users',
    });
  });

  test('allow_all admits everyone until allowed_groups is set', () => {
    assert.equal(admit(auth({ allow_all: true }), 'x', []).allowed, true);
    assert.equal(admit(auth({ allow_all: false }), 'x', []).allowed, false);
    const groups = auth({ allow_all: true, allowed_users: ['listed'] }, { allowed_groups: ['staff'] });
    assert.equal(admit(groups, 'x', ['staff']).allowed, true);
    assert.deepEqual(admit(groups, 'x', ['other']), {
      allowed: false,
      why: 'not in allowed_groups (groups: other)',
    });
    assert.equal(admit(groups, 'listed', []).allowed, true);
  });

  test('JupyterHub 5: no allow rule admits nobody; an existing user (allow_existing_users) gets in', () => {
    assert.deepEqual(admit(auth({}), 'x', []), { allowed: false, why: 'not allowed' });
    const staff = auth({}, { allowed_groups: ['staff'] });
    assert.equal(admit(staff, 'x', ['other'], undefined, true).allowed, true);
    assert.equal(admit(auth({ blocked_users: ['x'] }), 'x', [], undefined, true).allowed, false);
  });

  test('admin_groups admits and decides admin (admin_users still count); without it admin is left alone', () => {
    const a = auth({ allow_all: false, admin_users: ['root'] }, { admin_groups: ['adm'] });
    assert.deepEqual(admit(a, 'x', ['adm']), { allowed: true, admin: true });
    assert.deepEqual(admit(a, 'root', []), { allowed: true, admin: true });
    assert.deepEqual(admit(auth({ allow_all: true }, { admin_groups: ['adm'] }), 'y', []), {
      allowed: true,
      admin: false,
    });
    assert.deepEqual(admit(auth({ allow_all: true }), 'y', ['adm']), { allowed: true, admin: undefined });
  });
});
