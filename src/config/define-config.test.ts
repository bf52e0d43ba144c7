import assert from 'node:assert/strict';
import { it } from 'node:test';
import { buildConfig, defineConfig } from './index.ts';
import type { Config } from './index.ts';

it('defineConfig returns its argument, typed as a partial config', () => {
  const input = defineConfig({
    proxy: { api_url: 'http://127.0.0.1:9001' },
    services: [{ name: 'culler', command: ['tshub', 'cull'] }],
    load_roles: [{ name: 'culler', scopes: ['list:users'], services: ['culler'] }],
    spawner: { port_range: [9000, 9100] },
  });
  assert.equal(defineConfig(input), input);
  const config: Config = buildConfig(input);
  assert.equal(config.proxy.api_url, 'http://127.0.0.1:9001');

  // Type-level checks, enforced by `tsc --noEmit` (the calls themselves never run).
  const typeChecks = (): void => {
    // @ts-expect-error unknown key
    defineConfig({ proxy: { api_uri: 'x' } });
    // @ts-expect-error a service needs a name
    defineConfig({ services: [{ url: 'http://x' }] });
    // @ts-expect-error not one of the classes
    defineConfig({ authenticator: { class: 'pam' } });
    // @ts-expect-error wrong type
    defineConfig({ allow_named_servers: 'yes' });
  };
  assert.equal(typeof typeChecks, 'function');
});
