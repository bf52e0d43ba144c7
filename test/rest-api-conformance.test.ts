// Conformance with JupyterHub's REST spec (rest-api.yml, 6.0.0b2): every operation it lists, called with the
// spec's example values where it gives them, answers the status the spec (and upstream's handler) gives,
// with the top-level keys of upstream's model; and the served openapi.json lists every operation.
// The table is ours. The hub runs in-process with its real proxy and real single-user servers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Browser } from './browser-session.ts';
import type { Reply, TestHub } from './harness.ts';
import { startInProcessHub } from './inprocess.ts';
import { freePort } from './process.ts';

/** How an answer must look: its status (one of, where upstream answers either), and its body's shape. */
interface Operation {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** The spec's path (under /hub/api), as openapi.json lists it. */
  spec: string;
  /** The path called, with the values filled in. */
  path: string;
  body?: unknown;
  status: number[];
  /** Top-level keys the answer must have; for `list`, keys of each item; for `map`, of each value. */
  keys?: string[];
  shape?: 'object' | 'list' | 'map' | 'empty';
  form?: Record<string, string>;
  /** Sent by a browser logged in as the user (the OAuth authorize page), not with the admin's token. */
  browser?: boolean;
}

const USER_KEYS = ['kind', 'name', 'admin', 'roles', 'groups', 'server', 'pending', 'last_activity', 'servers'];
const SERVER_KEYS =
  'name display_name ready stopped pending url progress_url full_url full_progress_url started last_activity state user_options'.split(
    ' ',
  );
const GROUP_KEYS = ['kind', 'name', 'users', 'properties', 'roles'];
const SERVICE_KEYS = ['kind', 'name', 'admin', 'roles', 'url', 'prefix', 'command', 'pid', 'info'];
const TOKEN_KEYS = [
  'id',
  'kind',
  'user',
  'roles',
  'scopes',
  'note',
  'created',
  'expires_at',
  'last_activity',
  'session_id',
];
const ACTIVITY = '2019-02-06T12:54:14Z';
const SERVICE_TOKEN = 'conformance-service-token-0123456789';
const REDIRECT_URI = 'http://127.0.0.1:9/oauth_callback';

// The sharing operations, served by the sharing work: only checked for in openapi.json (the last test), which
// runs once any of them is served and then demands them all.
const SHARING_OPERATIONS = `
get /users/{name}/shared
get /users/{name}/shared/{owner}/{server_name}
delete /users/{name}/shared/{owner}/{server_name}
get /groups/{name}/shared
get /groups/{name}/shared/{owner}/{server_name}
delete /groups/{name}/shared/{owner}/{server_name}
get /shares/{owner}
get /shares/{owner}/{server_name}
post /shares/{owner}/{server_name}
patch /shares/{owner}/{server_name}
delete /shares/{owner}/{server_name}
get /share-codes/{owner}
get /share-codes/{owner}/{server_name}
post /share-codes/{owner}/{server_name}
delete /share-codes/{owner}/{server_name}
`
  .trim()
  .split('\n');

describe("JupyterHub's REST spec, operation by operation", () => {
  let h: TestHub;
  let doc: { paths: Record<string, Record<string, unknown>> };
  const tokenIds: Record<string, string> = {};
  let userToken = '';
  let browser: Browser;

  before(async () => {
    h = await startInProcessHub(
      {
        bind_url: `http://127.0.0.1:${await freePort()}/`,
        proxy: { api_url: `http://127.0.0.1:${await freePort()}` },
        allow_named_servers: true,
        slow_spawn_timeout: 0,
        // Users may log in to the service through OAuth (JupyterHub 6's way to widen the user role).
        extra_user_scopes: ['access:services!service=conf-service'],
        services: [
          {
            name: 'conf-service',
            url: 'http://127.0.0.1:9/',
            api_token: SERVICE_TOKEN,
            // Off the hub's origin, so the test sees the redirect with the code instead of following it.
            oauth_redirect_uri: REDIRECT_URI,
            oauth_no_confirm: true,
          },
        ],
      },
      { listen: true },
    );
    // What Hub.start() does beyond listening: the single-user servers need the hub's URL and the proxy.
    h.hub.ctx.servers.hubUrl = h.hub.hubUrl;
    await h.hub.proxy.start(h.hub.hubUrl);
    await h.addUsers(['conf-alice', 'conf-bob']);
    userToken = await h.tokenFor('conf-alice');
    browser = new Browser({ url: h.hub.hubUrl });
    await browser.login('conf-alice');
    doc = (await h.request('GET', 'hub/api/openapi.json', { token: null })).json;
  });
  after(async () => {
    await h.request('DELETE', 'hub/api/users/conf-alice/server');
    await h.request('DELETE', 'hub/api/users/conf-alice/servers/lab');
    await h.hub.proxy.terminate();
    await h.stop();
  });

  function servedOperations(): Set<string> {
    const served = new Set<string>();
    for (const [path, ops] of Object.entries(doc.paths))
      for (const method of Object.keys(ops)) served.add(`${method} ${path.replace(/^\/hub\/api/, '') || '/'}`);
    return served;
  }
  const sharingServed = () => SHARING_OPERATIONS.some((op) => servedOperations().has(op));

  /** The operations in the order they run (each may rely on the ones before it). */
  function operations(): Operation[] {
    const u = 'conf-alice';
    return [
      { method: 'GET', spec: '/', path: '/', status: [200], keys: ['version'] },
      {
        method: 'GET',
        spec: '/info',
        path: '/info',
        status: [200],
        keys: ['version', 'python', 'sys_executable', 'authenticator', 'spawner'],
      },
      { method: 'GET', spec: '/user', path: '/user', status: [200], keys: [...USER_KEYS, 'scopes'] },
      {
        method: 'GET',
        spec: '/users',
        path: '/users?sort=-last_activity',
        status: [200],
        shape: 'list',
        keys: USER_KEYS,
      },
      {
        method: 'POST',
        spec: '/users',
        path: '/users',
        body: { usernames: ['conf-carol', 'conf-dan'], admin: false },
        status: [201],
        shape: 'list',
        keys: USER_KEYS,
      },
      {
        method: 'GET',
        spec: '/users/{name}',
        path: `/users/${u}?include_stopped_servers`,
        status: [200],
        keys: USER_KEYS,
      },
      { method: 'POST', spec: '/users/{name}', path: '/users/conf-erin', status: [201], keys: USER_KEYS },
      {
        method: 'PATCH',
        spec: '/users/{name}',
        path: '/users/conf-erin',
        body: { name: 'conf-erin2', admin: false },
        status: [200],
        keys: USER_KEYS,
      },
      { method: 'DELETE', spec: '/users/{name}', path: '/users/conf-erin2', status: [204], shape: 'empty' },
      {
        method: 'PUT',
        spec: '/users/{name}/servers/{server_name}',
        path: `/users/${u}/servers/lab`,
        body: { display_name: 'Lab', user_options: {} },
        status: [201],
        keys: SERVER_KEYS,
      },
      {
        method: 'GET',
        spec: '/users/{name}/servers/{server_name}',
        path: `/users/${u}/servers/lab`,
        status: [200],
        keys: SERVER_KEYS,
      },
      {
        method: 'PATCH',
        spec: '/users/{name}/servers/{server_name}',
        path: `/users/${u}/servers/lab`,
        body: { display_name: 'The lab' },
        status: [200],
        keys: SERVER_KEYS,
      },
      {
        method: 'POST',
        spec: '/users/{name}/servers/{server_name}',
        path: `/users/${u}/servers/lab`,
        status: [201, 202],
        shape: 'empty',
      },
      { method: 'POST', spec: '/users/{name}/server', path: `/users/${u}/server`, status: [201, 202], shape: 'empty' },
      // The spec's example, with the server names this user has.
      {
        method: 'POST',
        spec: '/users/{name}/activity',
        path: `/users/${u}/activity`,
        body: {
          last_activity: ACTIVITY,
          servers: { '': { last_activity: ACTIVITY }, lab: { last_activity: ACTIVITY } },
        },
        status: [200],
      },
      {
        method: 'DELETE',
        spec: '/users/{name}/servers/{server_name}',
        path: `/users/${u}/servers/lab`,
        body: { remove: false },
        status: [202, 204],
        shape: 'empty',
      },
      {
        method: 'DELETE',
        spec: '/users/{name}/server',
        path: `/users/${u}/server`,
        status: [202, 204],
        shape: 'empty',
      },
      { method: 'GET', spec: '/users/{name}/tokens', path: `/users/${u}/tokens`, status: [200], keys: ['api_tokens'] },
      {
        method: 'POST',
        spec: '/users/{name}/tokens',
        path: `/users/${u}/tokens`,
        body: { expires_in: 3600, note: 'conformance', scopes: ['read:users!user'] },
        status: [201],
        keys: ['token', ...TOKEN_KEYS],
      },
      {
        method: 'GET',
        spec: '/users/{name}/tokens/{token_id}',
        path: `/users/${u}/tokens/{new_token}`,
        status: [200],
        keys: TOKEN_KEYS,
      },
      {
        method: 'DELETE',
        spec: '/users/{name}/tokens/{token_id}',
        path: `/users/${u}/tokens/{new_token}`,
        status: [204],
        shape: 'empty',
      },
      { method: 'POST', spec: '/groups/{name}', path: '/groups/conf-group', status: [201], keys: GROUP_KEYS },
      {
        method: 'GET',
        spec: '/groups',
        path: '/groups?offset=0&limit=10',
        status: [200],
        shape: 'list',
        keys: GROUP_KEYS,
      },
      { method: 'GET', spec: '/groups/{name}', path: '/groups/conf-group', status: [200], keys: GROUP_KEYS },
      {
        method: 'POST',
        spec: '/groups/{name}/users',
        path: '/groups/conf-group/users',
        body: { users: [u, 'conf-bob'] },
        status: [200],
        keys: GROUP_KEYS,
      },
      {
        method: 'DELETE',
        spec: '/groups/{name}/users',
        path: '/groups/conf-group/users',
        body: { users: ['conf-bob'] },
        status: [200],
      },
      {
        method: 'PUT',
        spec: '/groups/{name}/properties',
        path: '/groups/conf-group/properties',
        body: { course: 'physics' },
        status: [200],
        keys: GROUP_KEYS,
      },
      { method: 'DELETE', spec: '/groups/{name}', path: '/groups/conf-group', status: [204], shape: 'empty' },
      { method: 'GET', spec: '/services', path: '/services', status: [200], shape: 'map', keys: SERVICE_KEYS },
      { method: 'GET', spec: '/services/{name}', path: '/services/conf-service', status: [200], keys: SERVICE_KEYS },
      { method: 'GET', spec: '/proxy', path: '/proxy?offset=0&limit=10', status: [200], shape: 'object' },
      { method: 'POST', spec: '/proxy', path: '/proxy', status: [200], shape: 'empty' },
      { method: 'PATCH', spec: '/proxy', path: '/proxy', body: { ip: '127.0.0.1', port: '8001' }, status: [200] },
      // Removed in JupyterHub 2.0: upstream answers 404, as does tshub.
      { method: 'POST', spec: '/authorizations/token', path: '/authorizations/token', status: [404] },
      {
        method: 'GET',
        spec: '/authorizations/token/{token}',
        path: '/authorizations/token/{user_token}',
        status: [200],
        keys: ['kind', 'name'],
      },
      {
        method: 'GET',
        spec: '/authorizations/cookie/{cookie_name}/{cookie_value}',
        path: '/authorizations/cookie/jupyterhub-hub-login/{login_cookie}',
        status: [200],
        keys: USER_KEYS,
      },
      {
        method: 'GET',
        spec: '/oauth2/authorize',
        path: '/oauth2/authorize?client_id=service-conf-service&response_type=code&state=xyz&redirect_uri={redirect}',
        // oauth_no_confirm: straight back to the service with the code (upstream's 200 is its confirm page).
        status: [302],
        browser: true,
      },
      {
        method: 'POST',
        spec: '/oauth2/token',
        path: '/oauth2/token',
        form: { client_id: 'service-conf-service', code: '{code}', grant_type: 'authorization_code' },
        status: [200],
        keys: ['access_token', 'token_type'],
      },
      {
        method: 'POST',
        spec: '/shutdown',
        path: '/shutdown',
        body: { proxy: false, servers: false },
        status: [202],
      },
    ];
  }

  test('every operation answers upstream status and keys', async () => {
    const filled: Record<string, string> = {};
    for (const op of operations()) {
      const label = `${op.method} ${op.spec}`;
      const login = browser.cookies.find((c) => c.name === 'jupyterhub-hub-login')?.value ?? '';
      Object.assign(filled, {
        user_token: userToken,
        new_token: tokenIds.new ?? '',
        redirect: REDIRECT_URI,
        login_cookie: login,
      });
      const fill = (s: string) => s.replace(/\{(\w+)\}/g, (_, k: string) => encodeURIComponent(filled[k] ?? ''));
      let r: Reply;
      if (op.form) {
        const form = new URLSearchParams(Object.fromEntries(Object.entries(op.form).map(([k, v]) => [k, fill(v)])));
        form.set('redirect_uri', REDIRECT_URI);
        form.set('client_secret', SERVICE_TOKEN);
        r = await h.request(op.method, `hub/api${op.path}`, {
          token: null,
          rawBody: form.toString(),
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        });
      } else if (op.browser) {
        const page = await browser.request(op.method, `hub/api${fill(op.path)}`, { navigate: true });
        r = { ...page, json: undefined };
      } else {
        r = await h.request(op.method, `hub/api${fill(op.path)}`, { body: op.body });
      }
      assert.ok(op.status.includes(r.status), `${label}: ${r.status} ${r.text.replace(/\s+/g, ' ').slice(0, 1500)}`);
      if (op.shape === 'empty') assert.equal(r.text, '', `${label} has a body`);
      const items =
        op.shape === 'list' ? (r.json as unknown[]) : op.shape === 'map' ? Object.values(r.json as object) : [r.json];
      if (op.shape === 'list' || op.shape === 'map') assert.ok(items.length > 0, `${label}: no items`);
      for (const item of op.keys ? items : []) {
        for (const key of op.keys!)
          assert.ok(key in (item as object), `${label}: no '${key}' in ${JSON.stringify(item)}`);
      }
      if (op.spec === '/users/{name}/tokens' && op.method === 'POST') tokenIds.new = r.json.id;
      if (op.spec === '/oauth2/authorize') filled.code = new URL(r.headers.get('location')!).searchParams.get('code')!;
    }
  });

  test('the served openapi.json lists every operation of the spec', () => {
    const served = servedOperations();
    const missing = operations()
      .map((op) => `${op.method.toLowerCase()} ${op.spec}`)
      .filter((op) => !served.has(op));
    assert.deepEqual([...new Set(missing)], []);
  });

  test('the served openapi.json lists every sharing operation', (t) => {
    if (!sharingServed()) return t.skip('sharing is not served yet');
    assert.deepEqual(
      SHARING_OPERATIONS.filter((op) => !servedOperations().has(op)),
      [],
    );
  });
});
