import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildConfig, ConfigError, loadConfig } from './index.ts';
import type { ConfigInput } from './index.ts';
import { configErrorOf, writeTemp } from './test-helpers.ts';

const problemsOf = async (input: unknown): Promise<string> => configErrorOf(() => buildConfig(input as ConfigInput));

describe('validation messages', () => {
  it('names the full path of an unknown key and the file it is in', async () => {
    const file = writeTemp('tshub.yaml', 'proxy:\n  api_uri: http://127.0.0.1:8001\nbind_urll: x\n');
    const msg = await configErrorOf(() => loadConfig({ file, env: {} }));
    assert.ok(msg.includes(`unknown key "proxy.api_uri" in ${file}`), msg);
    assert.ok(msg.includes(`unknown key "bind_urll" in ${file}`), msg);
    assert.match(msg, /^The tshub configuration has 2 problems:\n {2}- .+\n {2}- .+$/);
  });

  it('names the key path, the expected type and the bad value', async () => {
    const file = writeTemp('tshub.yaml', 'spawner:\n  start_timeout: 1.5\nbind_url: not a url\n');
    const msg = await configErrorOf(() => loadConfig({ file, env: {} }));
    assert.ok(msg.includes(`spawner.start_timeout in ${file}: expected an integer >= 1, got 1.5`), msg);
    assert.ok(msg.includes(`bind_url in ${file}: expected an http:// or https:// URL, got "not a url"`), msg);
  });

  it('lists every problem, one per line', async () => {
    const msg = await problemsOf({
      concurrent_spawn_limit: -1,
      allow_named_servers: 'yes',
      log_level: 'verbose',
      authenticator: { class: 'pam' },
      tokens: { invalid_credentials_status: 400 },
      spawner: { port_range: [8000, 'x'], cmd: [] },
      hub_bind_url: 'ftp://host/',
    });
    const lines = msg.split('\n').slice(1);
    assert.equal(lines.length, 8, msg);
    assert.ok(msg.includes('concurrent_spawn_limit in the given config: expected an integer >= 0, got -1'), msg);
    assert.ok(msg.includes('allow_named_servers in the given config: expected true or false, got "yes"'), msg);
    assert.ok(
      msg.includes(
        'log_level in the given config: expected one of "trace", "debug", "info", "warn", "error", "fatal", "silent", got "verbose"',
      ),
      msg,
    );
    assert.ok(
      msg.includes(
        'authenticator.class in the given config: expected one of "dummy", "password", "oauth", "github", "gitlab", "google", "azuread", "entra", "ldap", got "pam"',
      ),
      msg,
    );
    assert.ok(
      msg.includes('tokens.invalid_credentials_status in the given config: expected one of 403, 401, got 400'),
      msg,
    );
    assert.ok(
      msg.includes('spawner.port_range[1] in the given config: expected an integer >= 1 and <= 65535, got "x"'),
      msg,
    );
    assert.ok(msg.includes('spawner.cmd in the given config: expected a non-empty list of strings, got a list'), msg);
    assert.ok(
      msg.includes('hub_bind_url in the given config: expected an http:// or https:// URL, got "ftp://host/"'),
      msg,
    );
  });

  it('checks db_url forms', async () => {
    assert.match(
      await problemsOf({ db_url: 'mysql://hub@db/hub' }),
      /db_url in the given config: expected a database URL/,
    );
    assert.match(await problemsOf({ db_url: 'sqlite:///' }), /db_url/);
    for (const ok of [
      'sqlite://',
      'sqlite:///:memory:',
      'sqlite:////var/lib/tshub.sqlite',
      'postgres://h/db',
      'postgresql+psycopg2://u:p@h:5/db',
    ]) {
      assert.equal(buildConfig({ db_url: ok }).db_url, ok);
    }
  });

  it('checks rules across keys', async () => {
    const msg = await problemsOf({
      api_page_default_limit: 500,
      spawner: { port_range: [9000, 8000] },
      tokens: { expires_in_max_seconds: 60, default_expires_in: 3600 },
    });
    assert.match(msg, /api_page_default_limit in the given config: must not exceed api_page_max_limit \(500 > 200\)/);
    assert.match(msg, /spawner\.port_range in the given config: the first port must not be above the second/);
    assert.match(msg, /tokens\.default_expires_in in the given config: must not exceed tokens\.expires_in_max_seconds/);
  });

  it('checks custom scope and role names', async () => {
    const msg = await problemsOf({
      custom_scopes: { 'read:grades': { description: 'x' }, 'custom:okay': { description: 'fine', extra: 1 } },
      load_roles: [{ name: 'Bad Name' }, { name: 'reader', scopes: 'read:users' }],
    });
    assert.match(
      msg,
      /custom_scopes in the given config: invalid key "read:grades": expected a scope name starting with "custom:"/,
    );
    assert.match(msg, /unknown key "custom_scopes\["custom:okay"\]\.extra" in the given config/);
    assert.match(msg, /load_roles\[0\]\.name in the given config: expected a role name/);
    assert.match(msg, /load_roles\[1\]\.scopes in the given config: expected a list of strings, got "read:users"/);
  });

  it('throws ConfigError with the problems as a list', () => {
    assert.throws(
      () => buildConfig({ max_body_size: 0 }),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.problems.length === 1 &&
        err.problems[0]?.startsWith('max_body_size') === true,
    );
  });
});

describe('secrets stay out of messages', () => {
  it('redacts values of token, secret and password keys', async () => {
    const msg = await problemsOf({
      proxy: { auth_token: 12345 },
      authenticator: { password: ['hunter2-password'] },
      services: [{ name: 'svc', api_token: 'short', environment: { API_TOKEN: 42 } }],
    });
    assert.ok(
      msg.includes('proxy.auth_token in the given config: expected a non-empty string or null, got <redacted>'),
      msg,
    );
    assert.ok(
      msg.includes('authenticator.password in the given config: expected a non-empty string or null, got <redacted>'),
      msg,
    );
    assert.ok(
      msg.includes(
        'services[0].api_token in the given config: expected a string of at least 8 characters or null, got <redacted>',
      ),
      msg,
    );
    assert.ok(
      msg.includes('services[0].environment.API_TOKEN in the given config: expected a string, got <redacted>'),
      msg,
    );
    assert.ok(!msg.includes('12345') && !msg.includes('hunter2') && !msg.includes('short') && !msg.includes('42'), msg);
  });

  it('never shows api_tokens keys, which are the tokens', async () => {
    const msg = await problemsOf({ api_tokens: { abc: 'ada', 'long-enough-token': 7 } });
    assert.ok(
      msg.includes(
        'api_tokens in the given config: invalid key <redacted> (given for "ada"): expected a token of at least 8 characters',
      ),
      msg,
    );
    assert.ok(
      msg.includes('api_tokens[<redacted>] in the given config: expected a non-empty string, got <redacted>'),
      msg,
    );
    assert.ok(!msg.includes('abc') && !msg.includes('long-enough-token'), msg);
  });

  it('masks the password in a bad database URL', async () => {
    const msg = await problemsOf({ db_url: 'mysql://hub:pa55word@db/hub' });
    assert.ok(msg.includes('"mysql://hub:<redacted>@db/hub"'), msg);
    assert.ok(!msg.includes('pa55word'), msg);
  });

  it('rejects a token given to two owners without showing it', async () => {
    const msg = await problemsOf({
      api_tokens: { 'shared-token-1': 'ada' },
      services: [{ name: 'svc', api_token: 'shared-token-1' }],
    });
    assert.match(
      msg,
      /services\[0\]\.api_token in the given config: the same token \(<redacted>\) is also given in api_tokens \(user "ada"\)/,
    );
    assert.ok(!msg.includes('shared-token-1'), msg);
  });
});

describe('services', () => {
  it('accepts a full spec', () => {
    const c = buildConfig({
      services: [
        {
          name: 'grader.v2',
          url: 'http://127.0.0.1:10101',
          api_token: 'service-token-123',
          command: ['python3', '-m', 'grader'],
          environment: { MODE: 'prod' },
          cwd: '/srv/grader',
          user: 'grader',
          oauth_client_id: 'service-grader',
          oauth_redirect_uri: '/services/grader.v2/oauth_callback',
          oauth_client_allowed_scopes: ['custom:grades:read'],
          oauth_no_confirm: true,
          info: { owner: 'ada', tags: ['x'] },
          display: false,
          timeout: 2.5,
          admin: true,
        },
      ],
    });
    assert.equal(c.services[0]?.timeout, 2.5);
  });

  it('rejects unknown keys, a missing name and bad names', async () => {
    const msg = await problemsOf({ services: [{ name: 'ok', api_url: 'x' }, { command: ['x'] }, { name: '../etc' }] });
    assert.match(msg, /unknown key "services\[0\]\.api_url" in the given config/);
    assert.match(msg, /services\[1\]\.name in the given config: is missing \(expected a name of letters/);
    assert.match(msg, /services\[2\]\.name in the given config: expected a name of letters, digits/);
  });

  it('rejects duplicate names', async () => {
    const msg = await problemsOf({ services: [{ name: 'a' }, { name: 'b' }, { name: 'a' }] });
    assert.match(msg, /services\[2\]\.name in the given config: duplicate service name "a" \(also services\[0\]\)/);
  });
});

describe('config tokens in tshub format', () => {
  it('refuses one whose checksum is wrong, without printing it', async () => {
    const { generateToken } = await import('../tokens/format.ts');
    const good = generateToken();
    const bad = good.slice(0, -1) + (good.endsWith('a') ? 'b' : 'a');
    assert.doesNotThrow(() => buildConfig({ api_tokens: { [good]: 'ada' } }));
    assert.throws(
      () => buildConfig({ api_tokens: { [bad]: 'ada' } }),
      (err: Error) => /wrong checksum/.test(err.message) && !err.message.includes(bad),
    );
    assert.throws(() => buildConfig({ services: [{ name: 's', api_token: bad }] }), /services\[0\]\.api_token/);
  });
});
