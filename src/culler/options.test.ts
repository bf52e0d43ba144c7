import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveOptions, UsageError } from './options.ts';
import { createLimiter } from './limiter.ts';
import { versionAtLeast } from './version.ts';

const env = { JUPYTERHUB_API_URL: 'http://127.0.0.1:8081/hub/api/', JUPYTERHUB_API_TOKEN: 'secret' };

describe('resolveOptions', () => {
  it("has jupyterhub-idle-culler's defaults", () => {
    const o = resolveOptions({}, env);
    assert.deepEqual(
      { ...o, token: '(set)' },
      {
        url: 'http://127.0.0.1:8081/hub/api',
        token: '(set)',
        timeout: 600,
        cullEvery: 300,
        maxAge: 0,
        concurrency: 10,
        apiPageSize: 0,
        cullUsers: false,
        cullAdminUsers: true,
        cullDefaultServers: true,
        cullNamedServers: true,
        removeNamedServers: false,
        sslEnabled: false,
        internalCertsLocation: 'internal-ssl',
        requestTimeoutMs: 60_000,
        logLevel: 'info',
        once: false,
      },
    );
    assert.equal(o.token, 'secret');
  });

  it('cull-every defaults to half the timeout, rounded down, also when given as 0', () => {
    assert.equal(resolveOptions({ timeout: '61' }, env).cullEvery, 30);
    assert.equal(resolveOptions({ timeout: '61', cullEvery: '0' }, env).cullEvery, 30);
    assert.equal(resolveOptions({ timeout: '61', cullEvery: '7' }, env).cullEvery, 7);
  });

  it('takes booleans bare, as =true/=false, and from --no-x', () => {
    assert.equal(resolveOptions({ cullUsers: true }, env).cullUsers, true);
    assert.equal(resolveOptions({ cullUsers: 'True' }, env).cullUsers, true);
    assert.equal(resolveOptions({ cullAdminUsers: 'false' }, env).cullAdminUsers, false);
    assert.equal(resolveOptions({ cullAdminUsers: false }, env).cullAdminUsers, false);
    assert.equal(resolveOptions({ cullNamedServers: '0' }, env).cullNamedServers, false);
    assert.equal(resolveOptions({ removeNamedServers: true }, env).removeNamedServers, true);
  });

  it('the flag wins over JUPYTERHUB_API_URL; JUPYTERHUB_REQUEST_TIMEOUT sets the request timeout', () => {
    const o = resolveOptions({ url: 'https://hub.example/hub/api' }, { ...env, JUPYTERHUB_REQUEST_TIMEOUT: '2.5' });
    assert.equal(o.url, 'https://hub.example/hub/api');
    assert.equal(o.requestTimeoutMs, 2500);
  });

  it('refuses bad values with a message naming the flag', () => {
    const bad: [Record<string, unknown>, RegExp, Record<string, string>?][] = [
      [{ timeout: '-1' }, /--timeout must be a whole number/],
      [{ timeout: '10m' }, /--timeout/],
      [{ maxAge: '1.5' }, /--max-age/],
      [{ concurrency: 'many' }, /--concurrency/],
      [{ apiPageSize: '' }, /--api-page-size/],
      [{ cullUsers: 'maybe' }, /--cull-users must be true or false/],
      [{ logging: 'loud' }, /--logging/],
      [{ timeout: '1' }, /--cull-every works out to 0/],
      [{ url: 'ftp://x/' }, /--url must be http/],
      [{ url: 'not a url' }, /--url is not a URL/],
      [{}, /no hub API URL/, { JUPYTERHUB_API_TOKEN: 'x' }],
      [{}, /no API token: set JUPYTERHUB_API_TOKEN/, { JUPYTERHUB_API_URL: 'http://h/hub/api' }],
      [{}, /JUPYTERHUB_REQUEST_TIMEOUT/, { ...env, JUPYTERHUB_REQUEST_TIMEOUT: '0' }],
    ];
    for (const [flags, message, e] of bad) {
      assert.throws(
        () => resolveOptions(flags, e ?? env),
        (err: Error) => err instanceof UsageError && message.test(err.message),
        JSON.stringify(flags),
      );
    }
  });

  it('a one-off pass may have a timeout too short for a cull interval', () => {
    assert.equal(resolveOptions({ timeout: '1', once: true }, env).timeout, 1);
  });
});

describe('versionAtLeast', () => {
  it('compares the numeric parts', () => {
    assert.equal(versionAtLeast('5.3.0', '1.3.0'), true);
    assert.equal(versionAtLeast('1.3.0', '1.3.0'), true);
    assert.equal(versionAtLeast('1.3', '1.3.0'), true);
    assert.equal(versionAtLeast('1.3.0b1', '1.3.0'), true);
    assert.equal(versionAtLeast('1.2.9', '1.3.0'), false);
    assert.equal(versionAtLeast('0.9.6', '1.3.0'), false);
    assert.equal(versionAtLeast('10.0.0', '1.3.0'), true);
    assert.equal(versionAtLeast('dev', '1.3.0'), false);
    assert.equal(versionAtLeast(undefined, '1.3.0'), false);
  });
});

describe('createLimiter', () => {
  it('never runs more than n tasks at once, and runs them all', async () => {
    const limit = createLimiter(3);
    let running = 0;
    let peak = 0;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        limit(async () => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((r) => setTimeout(r, 1 + (i % 3)));
          running--;
          return i;
        }),
      ),
    );
    assert.equal(peak, 3);
    assert.deepEqual(
      results,
      Array.from({ length: 20 }, (_, i) => i),
    );
  });

  it('frees the slot when a task fails; 0 means no limit', async () => {
    const one = createLimiter(1);
    await assert.rejects(
      one(async () => {
        throw new Error('x');
      }),
    );
    assert.equal(await one(async () => 'ok'), 'ok');
    const none = createLimiter(0);
    let running = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 50 }, () =>
        none(async () => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((r) => setTimeout(r, 1));
          running--;
        }),
      ),
    );
    assert.equal(peak, 50);
  });
});
