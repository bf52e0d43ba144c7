import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildConfig } from '../config/index.ts';
import { serverTokenScopes } from './credentials.ts';
import { serverEnv } from './env.ts';
import { resourceEnv } from './resources.ts';

test('limits and guarantees become MEM_LIMIT, CPU_LIMIT, MEM_GUARANTEE, CPU_GUARANTEE as upstream writes them', () => {
  const c = buildConfig({ spawner: { mem_limit: '1G', mem_guarantee: 1024, cpu_limit: 2, cpu_guarantee: 0.5 } });
  assert.deepEqual(resourceEnv(c.spawner), {
    MEM_LIMIT: String(1024 ** 3),
    MEM_GUARANTEE: '1024',
    CPU_LIMIT: '2.0',
    CPU_GUARANTEE: '0.5',
  });
  assert.deepEqual(resourceEnv(buildConfig({}).spawner), {});
  // Zero means none, as `if self.mem_limit:` does upstream.
  assert.deepEqual(resourceEnv(buildConfig({ spawner: { mem_limit: '0' } }).spawner), {});
});

test('a size that is not one is refused when the config loads', () => {
  assert.throws(() => buildConfig({ spawner: { mem_limit: 'lots' } }), /mem_limit/);
  assert.throws(() => buildConfig({ spawner: { cpu_limit: 0 } }), /cpu_limit/);
});

test("server_token_scopes: the server role's scopes by default; bare !user and !server name this server", () => {
  assert.deepEqual(serverTokenScopes(null, 'alice', 'lab'), [
    'users:activity!user=alice',
    'access:servers!server=alice/lab',
  ]);
  assert.deepEqual(
    serverTokenScopes(['read:users!user', 'read:servers!server', 'read:hub', 'list:users!user=bob'], 'alice', ''),
    ['read:users!user=alice', 'read:servers!server=alice/', 'read:hub', 'list:users!user=bob'],
  );
});

function envFor(spawner: Record<string, unknown>): Record<string, string> {
  return serverEnv({
    config: buildConfig({ spawner }),
    baseUrl: '/jhub/',
    hubUrl: 'http://127.0.0.1:8081/',
    user: 'alice',
    server: '',
    prefix: '/jhub/user/alice/',
    clientId: 'jupyterhub-user-alice',
    token: 't',
    resources: { MEM_LIMIT: '5' },
  });
}

test("hub_connect_url moves JUPYTERHUB_API_URL to where servers elsewhere reach the hub, keeping the hub's path", () => {
  assert.equal(envFor({}).JUPYTERHUB_API_URL, 'http://127.0.0.1:8081/jhub/hub/api');
  const moved = envFor({ hub_connect_url: 'http://hub.internal:9000/' });
  assert.equal(moved.JUPYTERHUB_API_URL, 'http://hub.internal:9000/jhub/hub/api');
  assert.equal(moved.JUPYTERHUB_ACTIVITY_URL, 'http://hub.internal:9000/jhub/hub/api/users/alice/activity');
  assert.throws(() => buildConfig({ spawner: { hub_connect_url: 'hub.internal' } }), /hub_connect_url/);
});

test('disable_user_config sets JUPYTERHUB_DISABLE_USER_CONFIG; the resources are passed through', () => {
  assert.equal(envFor({}).JUPYTERHUB_DISABLE_USER_CONFIG, undefined);
  assert.equal(envFor({ disable_user_config: true }).JUPYTERHUB_DISABLE_USER_CONFIG, '1');
  assert.equal(envFor({}).MEM_LIMIT, '5');
});
