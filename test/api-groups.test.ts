/**
 * End-to-end conformance of the groups API (API.md §1 Groups, §9.33) against a real hub.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigInput } from '../src/config/index.ts';
import { Browser } from './browser-session.ts';
import type { TestHub } from './harness.ts';
import { startInProcessHub } from './inprocess.ts';

const PAGINATION = { accept: 'application/jupyterhub-pagination+json' };

describe('groups API', () => {
  let h: TestHub;
  before(async () => {
    h = await startInProcessHub({
      load_roles: [
        { name: 'group-reader', scopes: ['list:groups!group=visible', 'read:groups!group=visible'], users: ['reader'] },
        { name: 'group-creator', scopes: ['admin:groups!group=mine'], users: ['creator'] },
      ],
    });
    await h.addUsers(['ann', 'ben', 'cat']);
  });
  after(() => h.stop());

  test('POST /groups/{name} → 201 Group model; a duplicate → 409', async () => {
    const r = await h.request('POST', 'hub/api/groups/alpha', { body: { users: ['ann', 'ben'] } });
    assert.equal(r.status, 201);
    assert.deepEqual(r.json, { kind: 'group', name: 'alpha', users: ['ann', 'ben'], properties: {}, roles: [] });
    const dup = await h.request('POST', 'hub/api/groups/alpha');
    assert.equal(dup.status, 409);
    assert.equal(dup.json.message, 'Group alpha already exists');
    const extra = await h.request('POST', 'hub/api/groups/extra-keys', {
      body: { users: ['ann'], name: 'ignored', roles: [] },
    });
    assert.equal(extra.status, 201, extra.text);
    assert.equal(extra.json.name, 'extra-keys');
    assert.deepEqual(extra.json.roles, []);
    await h.request('DELETE', 'hub/api/groups/extra-keys');
    const noBody = await h.request('POST', 'hub/api/groups/no-body');
    assert.equal(noBody.status, 201);
    assert.deepEqual(noBody.json.users, []);
    const got = await h.request('GET', 'hub/api/groups/alpha');
    assert.equal(got.status, 200);
    assert.deepEqual(got.json, r.json);
    const member = await h.request('GET', 'hub/api/users/ann');
    assert.deepEqual(member.json.groups, ['alpha']);
  });

  test('POST /groups creates several; any existing → 409, nothing created', async () => {
    const r = await h.request('POST', 'hub/api/groups', { body: { groups: ['g1', 'g2'], users: ['cat'] } });
    assert.equal(r.status, 201);
    assert.deepEqual(
      r.json.map((g: { name: string }) => g.name),
      ['g1', 'g2'],
    );
    assert.deepEqual(
      r.json.map((g: { users: string[] }) => g.users),
      [['cat'], ['cat']],
    );
    const dup = await h.request('POST', 'hub/api/groups', { body: { groups: ['g3', 'g1'] } });
    assert.equal(dup.status, 409);
    assert.equal(dup.json.message, 'Group g1 already exists');
    assert.equal((await h.request('GET', 'hub/api/groups/g3')).status, 404);
  });

  test('33: an unknown user → 400 and nothing created', async () => {
    const one = await h.request('POST', 'hub/api/groups/ghosts', { body: { users: ['ann', 'nobody'] } });
    assert.equal(one.status, 400);
    assert.equal(one.json.message, 'No such user: nobody');
    assert.equal((await h.request('GET', 'hub/api/groups/ghosts')).status, 404);
    const many = await h.request('POST', 'hub/api/groups', {
      body: { groups: ['ghosts2', 'ghosts3'], users: ['nobody'] },
    });
    assert.equal(many.status, 400);
    for (const g of ['ghosts2', 'ghosts3']) assert.equal((await h.request('GET', `hub/api/groups/${g}`)).status, 404);
    assert.deepEqual((await h.request('GET', 'hub/api/users/ann')).json.groups, ['alpha']);
  });

  test('member names are normalized like usernames', async () => {
    const r = await h.request('POST', 'hub/api/groups/upper', { body: { users: ['ANN'] } });
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(r.json.users, ['ann']);
    const add = await h.request('POST', 'hub/api/groups/upper/users', { body: { users: ['Ben'] } });
    assert.equal(add.status, 200, add.text);
    assert.deepEqual(add.json.users, ['ann', 'ben']);
    await h.request('DELETE', 'hub/api/groups/upper');
  });

  test('POST/DELETE /groups/{name}/users: add and remove; unknown user or no users key → 400, unchanged', async () => {
    await h.request('POST', 'hub/api/groups/beta');
    const add = await h.request('POST', 'hub/api/groups/beta/users', { body: { users: ['ann', 'cat'] } });
    assert.equal(add.status, 200);
    assert.deepEqual(add.json.users, ['ann', 'cat']);
    const again = await h.request('POST', 'hub/api/groups/beta/users', { body: { users: ['ann'] } });
    assert.equal(again.status, 200);
    assert.deepEqual(again.json.users, ['ann', 'cat']);
    const unknown = await h.request('POST', 'hub/api/groups/beta/users', { body: { users: ['ben', 'nobody'] } });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.json.message, 'No such user: nobody');
    for (const body of [{}, { user: ['ben'] }]) {
      const bad = await h.request('POST', 'hub/api/groups/beta/users', { body });
      assert.equal(bad.status, 400, JSON.stringify(body));
    }
    assert.deepEqual((await h.request('GET', 'hub/api/groups/beta')).json.users, ['ann', 'cat']);
    const del = await h.request('DELETE', 'hub/api/groups/beta/users', { body: { users: ['ann'] } });
    assert.equal(del.status, 200);
    assert.deepEqual(del.json.users, ['cat']);
    const delUnknown = await h.request('DELETE', 'hub/api/groups/beta/users', { body: { users: ['cat', 'nobody'] } });
    assert.equal(delUnknown.status, 400);
    assert.deepEqual((await h.request('GET', 'hub/api/groups/beta')).json.users, ['cat']);
    const missing = await h.request('POST', 'hub/api/groups/no-such-group/users', { body: { users: ['ann'] } });
    assert.equal(missing.status, 404);
  });

  test('33: PUT properties: a dict → 200; non-dict → 400 and unchanged', async () => {
    await h.request('POST', 'hub/api/groups/props');
    const ok = await h.request('PUT', 'hub/api/groups/props/properties', {
      body: { course: 'x101', n: 3, nested: { a: [1] } },
    });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.json.properties, { course: 'x101', n: 3, nested: { a: [1] } });
    for (const body of [[1, 2], 'text', 5, null]) {
      const bad = await h.request('PUT', 'hub/api/groups/props/properties', { body });
      assert.equal(bad.status, 400, JSON.stringify(body));
      assert.equal(bad.json.status, 400);
    }
    const empty = await h.request('PUT', 'hub/api/groups/props/properties', { rawBody: '' });
    assert.equal(empty.status, 400);
    assert.deepEqual((await h.request('GET', 'hub/api/groups/props')).json.properties, {
      course: 'x101',
      n: 3,
      nested: { a: [1] },
    });
    const replaced = await h.request('PUT', 'hub/api/groups/props/properties', { body: {} });
    assert.deepEqual(replaced.json.properties, {});
    assert.equal((await h.request('PUT', 'hub/api/groups/nope/properties', { body: {} })).status, 404);
  });

  test('33: DELETE → 204, then 404; members keep existing', async () => {
    await h.request('POST', 'hub/api/groups/gone', { body: { users: ['ben'] } });
    const r = await h.request('DELETE', 'hub/api/groups/gone');
    assert.equal(r.status, 204);
    assert.equal(r.text, '');
    assert.equal((await h.request('GET', 'hub/api/groups/gone')).status, 404);
    assert.equal((await h.request('DELETE', 'hub/api/groups/gone')).status, 404);
    const ben = await h.request('GET', 'hub/api/users/ben');
    assert.equal(ben.status, 200);
    assert.ok(!ben.json.groups.includes('gone'));
  });

  test('GET /groups: a list by id; with the Accept header paginated', async () => {
    const r = await h.request('GET', 'hub/api/groups');
    assert.equal(r.status, 200);
    assert.ok(Array.isArray(r.json));
    const listed = r.json.map((g: { name: string }) => g.name);
    assert.ok(listed.indexOf('alpha') < listed.indexOf('g1'));
    const page = await h.request('GET', 'hub/api/groups?limit=1&offset=1', { headers: PAGINATION });
    assert.equal(page.json.items.length, 1);
    assert.equal(page.json.items[0].name, listed[1]);
    assert.equal(page.json._pagination.total, listed.length);
    assert.equal(new URL(page.json._pagination.next.url).searchParams.get('offset'), '2');
    assert.equal((await h.request('GET', 'hub/api/groups?limit=x')).status, 400);
  });

  test('a user token: GET /groups → 403; GET /groups/{name} → 403; own groups visible through its user model', async () => {
    const token = await h.tokenFor('ann');
    const list = await h.request('GET', 'hub/api/groups', { token });
    assert.equal(list.status, 403);
    assert.equal(list.json.message, 'Action is not authorized with current scopes; requires any of [list:groups]');
    const one = await h.request('GET', 'hub/api/groups/alpha', { token });
    assert.equal(one.status, 403);
    const create = await h.request('POST', 'hub/api/groups/by-ann', { token });
    assert.equal(create.status, 403);
    assert.equal((await h.request('GET', 'hub/api/groups/by-ann')).status, 404);
  });

  test('filtered scopes: list:groups!group=x lists only x; read:groups!group=x reads only x', async () => {
    await h.request('POST', 'hub/api/groups/visible', { body: { users: ['ann'] } });
    const token = await h.tokenFor('reader');
    const list = await h.request('GET', 'hub/api/groups', { token });
    assert.equal(list.status, 200);
    assert.deepEqual(list.json, [{ kind: 'group', name: 'visible', users: ['ann'], properties: {} }]);
    assert.equal((await h.request('GET', 'hub/api/groups/visible', { token })).status, 200);
    const other = await h.request('GET', 'hub/api/groups/alpha', { token });
    assert.equal(other.status, 404);
    assert.equal(other.json.message, 'No access to resources or resources not found');
    assert.equal((await h.request('GET', 'hub/api/groups/missing', { token })).status, 404);
  });

  test('admin:groups!group=mine may create group mine only', async () => {
    const token = await h.tokenFor('creator');
    const other = await h.request('POST', 'hub/api/groups/not-mine', { token });
    assert.equal(other.status, 404);
    assert.equal((await h.request('GET', 'hub/api/groups/not-mine')).status, 404);
    const mine = await h.request('POST', 'hub/api/groups/mine', { token });
    assert.equal(mine.status, 201, mine.text);
    const add = await h.request('POST', 'hub/api/groups/mine/users', { token, body: { users: ['cat'] } });
    assert.equal(add.status, 200);
    const addOther = await h.request('POST', 'hub/api/groups/alpha/users', { token, body: { users: ['cat'] } });
    assert.equal(addOther.status, 404);
    assert.deepEqual((await h.request('GET', 'hub/api/groups/alpha')).json.users, ['ann', 'ben']);
    assert.equal((await h.request('DELETE', 'hub/api/groups/alpha', { token })).status, 404);
    assert.equal((await h.request('DELETE', 'hub/api/groups/mine', { token })).status, 204);
  });
  test('whoami follows group and role changes at once: the same token sees its new groups and roles', async () => {
    await h.addUsers(['joiner']);
    const token = await h.tokenFor('joiner');
    const before = await h.request('GET', 'hub/api/user', { token });
    assert.deepEqual([before.json.groups, before.json.roles, before.json.admin], [[], ['user'], false]);
    assert.equal((await h.request('POST', 'hub/api/groups/joined', { body: { users: ['joiner'] } })).status, 201);
    assert.equal((await h.request('PATCH', 'hub/api/users/joiner', { body: { admin: true } })).status, 200);
    const after = await h.request('GET', 'hub/api/user', { token });
    assert.deepEqual([after.json.groups, after.json.roles, after.json.admin], [['joined'], ['admin', 'user'], true]);
    assert.equal(
      (await h.request('DELETE', 'hub/api/groups/joined/users', { body: { users: ['joiner'] } })).status,
      200,
    );
    assert.deepEqual((await h.request('GET', 'hub/api/user', { token })).json.groups, []);
  });
  test('the same group created by 20 requests at once: one 201, the others 409, never a 500', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, () => h.request('POST', 'hub/api/groups/race-group')));
    assert.deepEqual(
      answers.map((r) => r.status).sort(),
      [201, ...Array(19).fill(409)],
      answers.map((r) => r.text).join('\n'),
    );
  });
});

// JupyterHub 5.3+: with manage_groups the API still manages groups (admin:groups), and the next login
// replaces the user's memberships with the authenticator's (before 5.3 these answered 400).
describe('groups API with authenticator.manage_groups', () => {
  test('create, add, remove and delete answer as without it; the next login resets the memberships', async () => {
    const authenticator = {
      manage_groups: true,
      post_auth_hook: (auth: { groups?: string[] }) => ({ ...auth, groups: ['idp-staff'] }),
    };
    const h = await startInProcessHub({ authenticator } as ConfigInput, { listen: true });
    try {
      await h.addUsers(['dee']);
      assert.equal((await h.request('POST', 'hub/api/groups/manual')).status, 201);
      const added = await h.request('POST', 'hub/api/groups/manual/users', { body: { users: ['dee'] } });
      assert.equal(added.status, 200, added.text);
      assert.deepEqual(added.json.users, ['dee']);
      const removed = await h.request('DELETE', 'hub/api/groups/manual/users', { body: { users: ['dee'] } });
      assert.equal(removed.status, 200, removed.text);
      assert.deepEqual(removed.json.users, []);
      assert.equal((await h.request('POST', 'hub/api/groups/manual/users', { body: { users: ['dee'] } })).status, 200);
      assert.deepEqual((await h.request('GET', 'hub/api/users/dee')).json.groups, ['manual']);

      assert.equal((await new Browser(h).login('dee')).status, 302);
      assert.deepEqual((await h.request('GET', 'hub/api/users/dee')).json.groups, ['idp-staff']);
      assert.deepEqual((await h.request('GET', 'hub/api/groups/manual')).json.users, []);
      assert.equal((await h.request('DELETE', 'hub/api/groups/manual')).status, 204);
    } finally {
      await h.stop();
    }
  });
});
