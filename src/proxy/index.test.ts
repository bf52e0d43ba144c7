import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import pino from 'pino';
import { ChpProxy, createProxy, tshubProxyCommand } from './index.ts';

const dir = mkdtempSync(join(tmpdir(), 'tshub-proxy-index-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const base = {
  bindUrl: 'http://127.0.0.1:8000/',
  hubUrl: 'http://127.0.0.1:8081',
  baseUrl: '/',
  stateDir: dir,
  log: pino({ level: 'silent' }),
  env: {},
};
const proxyConfig = {
  class: 'chp' as const,
  should_start: false,
  api_url: 'http://127.0.0.1:8001',
  auth_token: 'tok',
  check_routes_interval: 300,
};

describe('createProxy', () => {
  it('builds a CHP-API proxy for either class when the proxy runs elsewhere', () => {
    const chp = createProxy({ ...base, config: proxyConfig });
    assert.ok(chp instanceof ChpProxy);
    assert.equal(chp.launcher, null);
    assert.equal(chp.client.apiUrl, 'http://127.0.0.1:8001');
    assert.ok(createProxy({ ...base, config: { ...proxyConfig, class: 'tshub' } }) instanceof ChpProxy);
  });

  it('refuses what it cannot do, naming the keys', () => {
    assert.throws(
      () => createProxy({ ...base, config: { ...proxyConfig, auth_token: null } }),
      /proxy.auth_token \(or CONFIGPROXY_AUTH_TOKEN\) is required when proxy.should_start is false/,
    );
    assert.throws(
      () => createProxy({ ...base, bindUrl: 'http://127.0.0.1:0/', config: { ...proxyConfig, should_start: true } }),
      /bind_url http:\/\/127.0.0.1:0\/: port 0 is not supported/,
    );
  });

  it('launcher arguments follow JupyterHub: public ip/port, api ip/port, default and error targets', () => {
    const p = createProxy({
      ...base,
      baseUrl: '/prefix/',
      bindUrl: 'http://0.0.0.0:8000/prefix/',
      config: { ...proxyConfig, should_start: true },
    });
    assert.deepEqual(p.launcher?.args, [
      '--ip',
      '0.0.0.0',
      '--port',
      '8000',
      '--api-ip',
      '127.0.0.1',
      '--api-port',
      '8001',
      '--default-target',
      'http://127.0.0.1:8081',
      '--error-target',
      'http://127.0.0.1:8081/prefix/hub/error',
    ]);
    assert.equal(p.launcher?.tokenSource, 'config');
  });

  it("class 'tshub' launches `tshub proxy` with the same arguments", () => {
    const p = createProxy({ ...base, config: { ...proxyConfig, class: 'tshub', should_start: true } });
    assert.ok(p.launcher);
    assert.deepEqual(tshubProxyCommand().slice(0, 1), [process.execPath]);
    assert.match(tshubProxyCommand()[1]!, /bin\/tshub\.js$/);
    assert.equal(tshubProxyCommand()[2], 'proxy');
  });
});
