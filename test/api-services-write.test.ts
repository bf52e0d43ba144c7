/**
 * POST and DELETE /hub/api/services/{name} (JupyterHub 5; API.md §1 Services, §9.35): external
 * services created and removed at runtime, with their token and OAuth client, on the in-process hub;
 * their proxy route: api-services-write-e2e.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { applyConfig } from '../src/bootstrap/index.ts';
import { digestToken } from '../src/tokens/format.ts';
import type { TestHub } from './harness.ts';
import { startInProcessHub } from './inprocess.ts';

const CONFIG_TOKEN = 'config-service-token-0123456789';
const NEW_TOKEN = 'runtime-service-token-0123456789';

describe('services API: create and delete', () => {
  let h: TestHub;
  let backend: Server;
  let backendUrl: string;
  let userToken: string;
  let svcAdminToken: string;
  let mineOnlyToken: string;

  before(async () => {
    backend = createServer((req, res) => res.end(JSON.stringify({ path: req.url })));
    await new Promise<void>((ok) => backend.listen(0, '127.0.0.1', ok));
    backendUrl = `http://127.0.0.1:${(backend.address() as { port: number }).port}`;
    h = await startInProcessHub({
      services: [{ name: 'from-config', api_token: CONFIG_TOKEN }],
      load_roles: [
        { name: 'service-admins', scopes: ['admin:services'], users: ['sam'] },
        { name: 'mine-only', scopes: ['admin:services!service=mine'], users: ['mo'] },
      ],
    });
    await h.addUsers(['ursula']);
    userToken = await h.tokenFor('ursula');
    svcAdminToken = await h.tokenFor('sam');
    mineOnlyToken = await h.tokenFor('mo');
  });
  after(async () => {
    await h.stop();
    backend.close();
  });

  test('35: POST → 201 with the Service model; token and OAuth client are in place', async () => {
    const r = await h.request('POST', 'hub/api/services/ext1', {
      body: {
        url: backendUrl,
        api_token: NEW_TOKEN,
        info: { team: 'data' },
        display: false,
        oauth_client_allowed_scopes: ['read:users:name'],
      },
    });
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(r.json, {
      kind: 'service',
      name: 'ext1',
      admin: false,
      roles: [],
      url: backendUrl,
      prefix: '/services/ext1/',
      command: [],
      pid: 0,
      info: { team: 'data' },
      display: false,
    });
    const list = await h.request('GET', 'hub/api/services');
    assert.deepEqual(list.json.ext1, r.json);
    const row = await h.hub.ctx.k
      .selectFrom('services')
      .selectAll()
      .where('name', '=', 'ext1')
      .executeTakeFirstOrThrow();
    assert.equal(row.from_config, 0);

    const who = await h.request('GET', 'hub/api/user', { token: NEW_TOKEN });
    assert.equal(who.status, 200);
    assert.deepEqual([who.json.kind, who.json.name], ['service', 'ext1']);

    const client = await h.hub.ctx.k
      .selectFrom('oauth_clients')
      .selectAll()
      .where('identifier', '=', 'service-ext1')
      .executeTakeFirstOrThrow();
    assert.equal(client.secret_hash, digestToken(NEW_TOKEN));
    assert.equal(client.redirect_uri, '/services/ext1/oauth_callback');
    assert.deepEqual(JSON.parse(client.allowed_scopes), ['read:users:name']);
  });

  test('35: POST for an existing service → 409 (before the body is looked at)', async () => {
    const again = await h.request('POST', 'hub/api/services/ext1', { body: { url: backendUrl } });
    assert.equal(again.status, 409);
    assert.equal(again.json.message, 'Service ext1 already exists');
    assert.equal((await h.request('POST', 'hub/api/services/ext1', { body: { bogus: 1 } })).status, 409);
    assert.equal((await h.request('POST', 'hub/api/services/from-config', { body: { url: backendUrl } })).status, 409);
  });

  test('35: POST with `command` → 400 (API-created services are external only)', async () => {
    const r = await h.request('POST', 'hub/api/services/managed', { body: { command: ['sleep', '100'] } });
    assert.equal(r.status, 400);
    assert.equal(r.json.message, 'Can not create managed service managed at runtime');
    assert.equal((await h.request('GET', 'hub/api/services/managed')).status, 404);
  });

  test('POST with bad bodies or names → 400, nothing created', async () => {
    const cases: [string, unknown][] = [
      ['unknown key', { url: backendUrl, frobnicate: true }],
      ['empty spec', {}],
      ['not a url', { url: 'not a url' }],
      ['wrong type', { display: 'yes' }],
      ['short token', { api_token: 'short' }],
      ['a list', [backendUrl]],
    ];
    for (const [why, body] of cases) {
      const r = await h.request('POST', 'hub/api/services/bad1', { body });
      assert.equal(r.status, 400, `${why}: ${r.text}`);
    }
    assert.equal((await h.request('POST', 'hub/api/services/bad1')).status, 400, 'no body');
    const badName = await h.request('POST', 'hub/api/services/bad%20name', { body: { url: backendUrl } });
    assert.equal(badName.status, 400);
    assert.match(badName.json.message, /Invalid service name/);
    // A token that already belongs to someone cannot become the service's.
    const taken = await h.request('POST', 'hub/api/services/bad1', { body: { api_token: h.adminToken } });
    assert.equal(taken.status, 400);
    assert.ok(!taken.text.includes(h.adminToken), 'the token is not echoed');
    assert.equal((await h.request('GET', 'hub/api/services/bad1')).status, 404);
  });

  test('35: without admin:services → 403; a filtered admin:services covers only its names', async () => {
    const r = await h.request('POST', 'hub/api/services/u1', { token: userToken, body: { url: backendUrl } });
    assert.equal(r.status, 403);
    assert.equal(r.json.message, 'Action is not authorized with current scopes; requires any of [admin:services]');
    assert.equal(
      (await h.request('POST', 'hub/api/services/u1', { token: null, body: { url: backendUrl } })).status,
      403,
    );
    assert.equal((await h.request('DELETE', 'hub/api/services/ext1', { token: userToken })).status, 403);
    assert.equal((await h.request('DELETE', 'hub/api/services/ext1', { token: null })).status, 403);

    const other = await h.request('POST', 'hub/api/services/other', {
      token: mineOnlyToken,
      body: { url: backendUrl },
    });
    assert.equal(other.status, 404);
    const mine = await h.request('POST', 'hub/api/services/mine', { token: mineOnlyToken, body: { info: { a: 1 } } });
    assert.equal(mine.status, 201, mine.text);
    assert.equal((await h.request('DELETE', 'hub/api/services/ext1', { token: mineOnlyToken })).status, 404);
    assert.equal((await h.request('DELETE', 'hub/api/services/mine', { token: mineOnlyToken })).status, 200);
  });

  test("35: `admin` or OAuth scopes beyond the requester's → 400", async () => {
    const admin = await h.request('POST', 'hub/api/services/s-admin', { token: svcAdminToken, body: { admin: true } });
    assert.equal(admin.status, 400);
    assert.match(admin.json.message, /^Not assigning requested scopes/);
    const scopes = await h.request('POST', 'hub/api/services/s-admin', {
      token: svcAdminToken,
      body: { url: backendUrl, oauth_client_allowed_scopes: ['admin:users'] },
    });
    assert.equal(scopes.status, 400);
    const unknown = await h.request('POST', 'hub/api/services/s-admin', {
      body: { oauth_client_allowed_scopes: ['no:such:scope'] },
    });
    assert.equal(unknown.status, 400);
    assert.equal((await h.request('GET', 'hub/api/services/s-admin')).status, 404);
    // Within the requester's scopes it works; an admin may create an admin service.
    const ok = await h.request('POST', 'hub/api/services/s-plain', { token: svcAdminToken, body: { url: backendUrl } });
    assert.equal(ok.status, 201);
    const byAdmin = await h.request('POST', 'hub/api/services/s-admin', { body: { admin: true } });
    assert.equal(byAdmin.status, 201);
    assert.deepEqual([byAdmin.json.admin, byAdmin.json.roles], [true, ['admin']]);
    for (const n of ['s-plain', 's-admin'])
      assert.equal((await h.request('DELETE', `hub/api/services/${n}`)).status, 200);
  });

  test('an API-created service and its token survive the config sync of a hub restart', async () => {
    await applyConfig(h.hub.ctx.k, h.hub.ctx.config, h.hub.ctx.log);
    h.hub.ctx.permissions.invalidate();
    assert.equal((await h.request('GET', 'hub/api/services/ext1')).status, 200);
    assert.equal((await h.request('GET', 'hub/api/user', { token: NEW_TOKEN })).status, 200);
  });

  test('35: DELETE a config service → 405; an unknown one → 404', async () => {
    const r = await h.request('DELETE', 'hub/api/services/from-config');
    assert.equal(r.status, 405);
    assert.equal(r.json.message, 'Service from-config is not modifiable at runtime');
    assert.equal((await h.request('GET', 'hub/api/user', { token: CONFIG_TOKEN })).status, 200);
    assert.equal((await h.request('DELETE', 'hub/api/services/nope')).status, 404);
  });

  test('35: DELETE → 200; row, token and OAuth client are gone', async () => {
    const r = await h.request('DELETE', 'hub/api/services/ext1');
    assert.equal(r.status, 200);
    assert.equal(r.text, '');
    assert.equal((await h.request('GET', 'hub/api/services/ext1')).status, 404);
    assert.equal((await h.request('GET', 'hub/api/user', { token: NEW_TOKEN })).status, 403);
    const k = h.hub.ctx.k;
    assert.equal(
      await k.selectFrom('oauth_clients').select('id').where('identifier', '=', 'service-ext1').executeTakeFirst(),
      undefined,
    );
    assert.equal(await k.selectFrom('services').select('id').where('name', '=', 'ext1').executeTakeFirst(), undefined);
    assert.equal((await h.request('DELETE', 'hub/api/services/ext1')).status, 404);
    // The name is free again.
    assert.equal((await h.request('POST', 'hub/api/services/ext1', { body: { display: true } })).status, 201);
  });

  test('POST and DELETE appear in the OpenAPI document with their schemas', async () => {
    const doc = (await h.request('GET', 'hub/api/openapi.json')).json;
    const path = doc.paths['/hub/api/services/{name}'];
    assert.ok(path.post.requestBody, 'POST has a body schema');
    assert.ok(path.post.responses['201']);
    assert.ok(path.delete.responses['200'] && path.delete.responses['405']);
  });
});
