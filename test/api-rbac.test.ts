/**
 * RBAC through the REST API: custom roles from config, filtered scopes, vertical filtering of models,
 * and role sync across restarts (API.md §1 Auth, §2, §3).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshDatabase } from '../src/db/test-helpers.ts';
import type { Reply, TestHub } from './harness.ts';
import { startInProcessHub } from './inprocess.ts';

const STAFF_SVC = 'staff-service-token-0123456789abcdef';
const NOT_FOUND = 'No access to resources or resources not found';
const names = (r: Reply): string[] => r.json.map((u: { name: string }) => u.name);
const keys = (o: object): string[] => Object.keys(o).sort();

describe('RBAC through the API', () => {
  let h: TestHub;
  before(async () => {
    h = await startInProcessHub({
      // this suite makes many tokens for the same users
      tokens: { max_active_per_user: 0 },
      services: [{ name: 'staff-svc', api_token: STAFF_SVC }],
      load_roles: [
        { name: 'staff-reader', scopes: ['list:users!group=staff', 'read:users!group=staff'], services: ['staff-svc'] },
        { name: 'one-creator', scopes: ['admin:users!user=newbie'], users: ['creator'] },
        { name: 'staff-admin', scopes: ['admin:users!group=staff'], users: ['lead'] },
        { name: 'bad-lister', scopes: ['list:users!server=sam/'], users: ['lister'] },
      ],
    });
    await h.addUsers(['sam', 'sue', 'olga', 'otto']);
    const g = await h.request('POST', 'hub/api/groups/staff', { body: { users: ['sam', 'sue'] } });
    assert.equal(g.status, 201);
  });
  after(() => h.stop());

  test('a service with list/read:users!group=staff lists only staff members and gets 404 for others', async () => {
    const list = await h.request('GET', 'hub/api/users', { token: STAFF_SVC });
    assert.equal(list.status, 200);
    assert.deepEqual(names(list), ['sam', 'sue']);
    assert.deepEqual(keys(list.json[0]), [
      'admin',
      'created',
      'groups',
      'kind',
      'last_activity',
      'name',
      'pending',
      'roles',
      'server',
      'user_info',
    ]);
    const one = await h.request('GET', 'hub/api/users/sam', { token: STAFF_SVC });
    assert.equal(one.status, 200);
    assert.deepEqual(one.json.groups, ['staff']);
    for (const other of ['olga', 'admin', 'missing-user']) {
      const r = await h.request('GET', `hub/api/users/${other}`, { token: STAFF_SVC });
      assert.equal(r.status, 404, other);
      assert.equal(r.json.message, NOT_FOUND);
    }
    // membership changes apply at once
    await h.request('POST', 'hub/api/groups/staff/users', { body: { users: ['olga'] } });
    assert.deepEqual(names(await h.request('GET', 'hub/api/users', { token: STAFF_SVC })), ['sam', 'sue', 'olga']);
    assert.equal((await h.request('GET', 'hub/api/users/olga', { token: STAFF_SVC })).status, 200);
    await h.request('DELETE', 'hub/api/groups/staff/users', { body: { users: ['olga'] } });
    assert.equal((await h.request('GET', 'hub/api/users/olga', { token: STAFF_SVC })).status, 404);
    // no scope for writes at all → 403
    const del = await h.request('DELETE', 'hub/api/users/sam', { token: STAFF_SVC });
    assert.equal(del.status, 403);
    assert.equal(del.json.message, 'Action is not authorized with current scopes; requires any of [delete:users]');
  });

  test('a user token: itself 200 with its own fields (no auth_state), others and missing users 404', async () => {
    const token = await h.tokenFor('otto');
    const self = await h.request('GET', 'hub/api/users/otto', { token });
    assert.equal(self.status, 200);
    assert.deepEqual(keys(self.json), [
      'admin',
      'created',
      'groups',
      'kind',
      'last_activity',
      'name',
      'pending',
      'roles',
      'server',
      'servers',
      'user_info',
    ]);
    const admin = await h.request('GET', 'hub/api/users/otto');
    assert.ok('auth_state' in admin.json);
    for (const other of ['sam', 'admin', 'nobody']) {
      const r = await h.request('GET', `hub/api/users/${other}`, { token });
      assert.equal(r.status, 404, other);
      assert.equal(r.json.message, NOT_FOUND);
    }
  });

  test('a token with scopes [read:users:name] sees only kind, name, admin (and user_info)', async () => {
    const token = await h.tokenFor('admin', { scopes: ['read:users:name'] });
    const r = await h.request('GET', 'hub/api/users/sam', { token });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { kind: 'user', name: 'sam', admin: false, user_info: null });
    // its owner also gets the identify scopes, so it sees its own groups
    const self = await h.request('GET', 'hub/api/users/admin', { token });
    assert.deepEqual(keys(self.json), ['admin', 'groups', 'kind', 'name', 'user_info']);
    const list = await h.request('GET', 'hub/api/users', { token });
    assert.equal(list.status, 403);
    const write = await h.request('POST', 'hub/api/users/someone', { token });
    assert.equal(write.status, 403);
  });

  test('other vertical filters: read:users:groups, read:users:activity, read:roles:users, read:servers', async () => {
    const cases: [string, string[]][] = [
      ['read:users:groups', ['groups', 'kind', 'name']],
      ['read:users:activity', ['kind', 'last_activity', 'name']],
      ['read:roles:users', ['admin', 'kind', 'name', 'roles']],
      ['read:servers', ['admin', 'kind', 'name', 'servers', 'user_info']],
    ];
    for (const [scope, expected] of cases) {
      const token = await h.tokenFor('admin', { scopes: [scope] });
      const r = await h.request('GET', 'hub/api/users/sue', { token });
      assert.equal(r.status, 200, scope);
      assert.deepEqual(keys(r.json), expected, scope);
    }
  });

  test('list:users!user=x lists only x, with the read:users:name fields', async () => {
    const token = await h.tokenFor('admin', { scopes: ['list:users!user=sue'] });
    const r = await h.request('GET', 'hub/api/users', { token });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, [{ kind: 'user', name: 'sue', admin: false, user_info: null }]);
    const paged = await h.request('GET', 'hub/api/users', {
      token,
      headers: { accept: 'application/jupyterhub-pagination+json' },
    });
    assert.equal(paged.json._pagination.total, 1);
  });

  test('list:users filtered by server → 403 (only user= and group= filters can restrict a listing)', async () => {
    const token = await h.tokenFor('lister');
    const r = await h.request('GET', 'hub/api/users', { token });
    assert.equal(r.status, 403);
  });

  test('admin:users!user=newbie may create newbie but no one else, and edit only newbie', async () => {
    const token = await h.tokenFor('creator');
    const other = await h.request('POST', 'hub/api/users/intruder', { token });
    assert.equal(other.status, 404);
    assert.equal(other.json.message, NOT_FOUND);
    assert.equal((await h.request('GET', 'hub/api/users/intruder')).status, 404);
    const mine = await h.request('POST', 'hub/api/users/newbie', { token });
    assert.equal(mine.status, 201, mine.text);
    const again = await h.request('POST', 'hub/api/users/newbie', { token });
    assert.equal(again.status, 409);
    const patchOther = await h.request('PATCH', 'hub/api/users/sam', { token, body: { name: 'sam2' } });
    assert.equal(patchOther.status, 404);
    assert.equal((await h.request('GET', 'hub/api/users/sam')).status, 200);
    const patchMine = await h.request('PATCH', 'hub/api/users/newbie', { token, body: { auth_state: { k: 1 } } });
    assert.equal(patchMine.status, 200, patchMine.text);
    const delOther = await h.request('DELETE', 'hub/api/users/sam', { token });
    assert.equal(delOther.status, 404);
    assert.equal((await h.request('DELETE', 'hub/api/users/newbie', { token })).status, 204);
  });

  test('admin:users!group=staff edits members only; cannot create non-members', async () => {
    const token = await h.tokenFor('lead');
    const member = await h.request('PATCH', 'hub/api/users/sue', { token, body: { auth_state: { team: 'staff' } } });
    assert.equal(member.status, 200, member.text);
    const outsider = await h.request('PATCH', 'hub/api/users/otto', { token, body: { auth_state: { x: 1 } } });
    assert.equal(outsider.status, 404);
    assert.equal((await h.request('GET', 'hub/api/users/otto')).json.auth_state, null);
    const create = await h.request('POST', 'hub/api/users/fresh', { token });
    assert.equal(create.status, 404);
  });
});

describe('RBAC config at start-up', () => {
  test('load_roles with an unknown scope makes start-up fail, naming the scope', async () => {
    await assert.rejects(
      startInProcessHub({ load_roles: [{ name: 'broken', scopes: ['read:userz'], users: ['x'] }] }),
      (err: Error) => {
        assert.match(err.message, /read:userz/);
        return true;
      },
    );
  });

  test('admin_users become admins with the admin role', async () => {
    const h = await startInProcessHub({ authenticator: { admin_users: ['admin', 'boss'] } });
    try {
      const r = await h.request('GET', 'hub/api/users/boss');
      assert.equal(r.status, 200);
      assert.equal(r.json.admin, true);
      assert.deepEqual(r.json.roles, ['admin', 'user']);
      const token = await h.tokenFor('boss');
      assert.equal((await h.request('GET', 'hub/api/users', { token })).status, 200);
    } finally {
      await h.stop();
    }
  });

  test('role membership follows the config at each start: removed users lose the role, dropped roles vanish', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tshub-rbac-restart-'));
    // One database across the starts (the harness would give each hub its own).
    const db = await freshDatabase(dir);
    const db_url = db.url;
    const role = (users: string[]) => ({ name: 'auditor', scopes: ['list:users', 'read:users'], users });
    try {
      let h = await startInProcessHub({ db_url, load_roles: [role(['aud1', 'aud2'])] });
      let aud2Token: string;
      try {
        assert.deepEqual((await h.request('GET', 'hub/api/users/aud1')).json.roles, ['auditor', 'user']);
        assert.deepEqual((await h.request('GET', 'hub/api/users/aud2')).json.roles, ['auditor', 'user']);
        aud2Token = await h.tokenFor('aud2');
        assert.equal((await h.request('GET', 'hub/api/users', { token: aud2Token })).status, 200);
      } finally {
        await h.stop();
      }

      h = await startInProcessHub({ db_url, load_roles: [role(['aud1'])] });
      try {
        assert.deepEqual((await h.request('GET', 'hub/api/users/aud1')).json.roles, ['auditor', 'user']);
        assert.deepEqual((await h.request('GET', 'hub/api/users/aud2')).json.roles, ['user']);
        // aud2's token survived the restart, its permissions did not
        const r = await h.request('GET', 'hub/api/users', { token: aud2Token });
        assert.equal(r.status, 403);
      } finally {
        await h.stop();
      }

      h = await startInProcessHub({ db_url });
      try {
        assert.deepEqual((await h.request('GET', 'hub/api/users/aud1')).json.roles, ['user']);
      } finally {
        await h.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await db.drop();
    }
  });
});
