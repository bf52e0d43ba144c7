/**
 * End-to-end conformance of GET /services and /services/{name} (API.md §1 Services, §9.34).
 * (POST/DELETE /services/{name} are tested with their own issue.)
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestHub } from './harness.ts';
import { startInProcessHub } from './inprocess.ts';

const WEB_TOKEN = 'web-service-token-0123456789abcdef';
const BARE_TOKEN = 'bare-service-token-0123456789abcdef';
const READER_TOKEN = 'reader-service-token-0123456789abcdef';

describe('services API', () => {
  let h: TestHub;
  before(async () => {
    h = await startInProcessHub({
      services: [
        { name: 'web', url: 'http://127.0.0.1:10101', api_token: WEB_TOKEN, info: { owner: 'ops' }, display: false },
        { name: 'bare', api_token: BARE_TOKEN },
        { name: 'reader', api_token: READER_TOKEN },
      ],
      load_roles: [
        {
          name: 'service-reader',
          scopes: ['list:services!service=web', 'read:services!service=web', 'read:services:name!service=bare'],
          services: ['reader'],
        },
      ],
    });
  });
  after(() => h.stop());

  test('34: admin GET /services → a dict by name with full models', async () => {
    const r = await h.request('GET', 'hub/api/services');
    assert.equal(r.status, 200);
    assert.ok(!Array.isArray(r.json));
    assert.deepEqual(Object.keys(r.json).sort(), ['bare', 'reader', 'web']);
    assert.deepEqual(r.json.web, {
      kind: 'service',
      name: 'web',
      admin: false,
      roles: [],
      url: 'http://127.0.0.1:10101',
      prefix: '/services/web/',
      command: [],
      pid: 0,
      info: { owner: 'ops' },
      display: false,
    });
    assert.deepEqual(r.json.bare, {
      kind: 'service',
      name: 'bare',
      admin: false,
      roles: [],
      url: '',
      prefix: '',
      command: [],
      pid: 0,
      info: {},
      display: true,
    });
    assert.deepEqual(r.json.reader.roles, ['service-reader']);
  });

  test('34: GET /services/{name} → the model; unknown → 404', async () => {
    const r = await h.request('GET', 'hub/api/services/web');
    assert.equal(r.status, 200);
    const list = await h.request('GET', 'hub/api/services');
    assert.deepEqual(r.json, list.json.web);
    const missing = await h.request('GET', 'hub/api/services/nope');
    assert.equal(missing.status, 404);
    assert.equal(missing.json.status, 404);
  });

  test('34: a user token → 403 on both', async () => {
    await h.addUsers(['ursula']);
    const token = await h.tokenFor('ursula');
    const list = await h.request('GET', 'hub/api/services', { token });
    assert.equal(list.status, 403);
    assert.equal(list.json.message, 'Action is not authorized with current scopes; requires any of [list:services]');
    const one = await h.request('GET', 'hub/api/services/web', { token });
    assert.equal(one.status, 403);
    assert.equal(
      one.json.message,
      'Action is not authorized with current scopes; requires any of [read:services, read:services:name, read:roles:services]',
    );
    assert.equal((await h.request('GET', 'hub/api/services', { token: null })).status, 403);
  });

  test('filtered scopes: lists only what the filter covers; reads are filtered vertically; others → 404', async () => {
    const list = await h.request('GET', 'hub/api/services', { token: READER_TOKEN });
    assert.equal(list.status, 200);
    assert.deepEqual(Object.keys(list.json), ['web']);
    assert.ok(!('roles' in list.json.web), 'read:services does not reveal roles');
    assert.equal(list.json.web.url, 'http://127.0.0.1:10101');
    const bare = await h.request('GET', 'hub/api/services/bare', { token: READER_TOKEN });
    assert.equal(bare.status, 200);
    assert.deepEqual(bare.json, { kind: 'service', name: 'bare', admin: false });
    const other = await h.request('GET', 'hub/api/services/reader', { token: READER_TOKEN });
    assert.equal(other.status, 404);
    assert.equal(other.json.message, 'No access to resources or resources not found');
    assert.equal((await h.request('GET', 'hub/api/services/nope', { token: READER_TOKEN })).status, 404);
  });

  test('a service without scopes: GET /services → 403; its whoami works', async () => {
    const r = await h.request('GET', 'hub/api/services', { token: BARE_TOKEN });
    assert.equal(r.status, 403);
    const who = await h.request('GET', 'hub/api/user', { token: BARE_TOKEN });
    assert.equal(who.status, 200);
    assert.deepEqual(
      { kind: who.json.kind, name: who.json.name, admin: who.json.admin },
      { kind: 'service', name: 'bare', admin: false },
    );
  });
});
