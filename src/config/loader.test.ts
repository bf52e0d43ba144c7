import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import Value from 'typebox/value';
import {
  buildConfig,
  type ConfigInput,
  ConfigSchema,
  defaultConfig,
  loadConfig,
  noAllowConfigWarning,
} from './index.ts';
import { configErrorOf, tempDir, writeTemp } from './test-helpers.ts';

const noEnv = {};

describe('loadConfig sources', () => {
  it('gives the documented defaults with no file, env or flags', async () => {
    const cwd = tempDir();
    const { config, file, baseDir } = await loadConfig({ env: noEnv, cwd });
    assert.equal(file, null);
    assert.equal(baseDir, cwd);
    assert.equal(config.bind_url, 'http://127.0.0.1:8000/');
    assert.equal(config.hub_bind_url, 'http://127.0.0.1:8081/');
    assert.equal(config.db_url, 'sqlite:///tshub.sqlite');
    assert.equal(config.api_page_default_limit, 50);
    assert.equal(config.max_body_size, 1024 * 1024);
    assert.equal(config.oauth_token_expires_in, 14 * 24 * 3600);
    const { oauth, ldap, ...authenticator } = config.authenticator;
    assert.deepEqual([ldap.server_address, ldap.tls_strategy, ldap.lookup_dn], ['', 'before_bind', false]);
    assert.deepEqual([oauth.oidc_issuer, oauth.username_claim, oauth.enable_pkce], [null, 'preferred_username', true]);
    assert.deepEqual(authenticator, {
      class: 'dummy',
      password: null,
      admin_users: [],
      allowed_users: [],
      blocked_users: [],
      // Computed: dummy without allowed_users lets anyone in, as JupyterHub 5's DummyAuthenticator.
      allow_all: true,
      allow_existing_users: false,
      auto_login: false,
      username_pattern: null,
      enable_signup: false,
      open_signup: false,
      minimum_password_length: 8,
      check_common_password: true,
      allow_2fa: false,
      login_throttle: { max_failures: 5, max_failures_per_ip: 30, window_seconds: 300 },
      enable_auth_state: false,
      auth_refresh_age: 300,
      refresh_pre_spawn: false,
      manage_groups: false,
      username_map: {},
      refresh_pre_stop: false,
      manage_roles: false,
    });
    assert.deepEqual(config.spawner.cmd, ['jupyterhub-singleuser']);
    assert.equal(config.spawner.port_range, null);
    // DESIGN.md's `chp` until our proxy won (issue 9): `tshub proxy` is the default now.
    assert.deepEqual(config.proxy, {
      class: 'tshub',
      should_start: true,
      api_url: 'http://127.0.0.1:8001',
      auth_token: null,
      check_routes_interval: 300,
    });
    assert.deepEqual(config.tokens, {
      max_active_per_user: 5,
      expires_in_max_seconds: null,
      default_expires_in: null,
      revoke_idle_after_days: null,
      allow_never_expire: true,
      forbid_inherit: false,
      roles: {},
      rotation_max_grace_seconds: 604800,
      invalid_credentials_status: 403,
      expiry_notice: {
        days: [30, 7, 1],
        seconds: null,
        check_interval_seconds: 3600,
        webhook: null,
        smtp: null,
        email_domain: null,
      },
    });
    assert.deepEqual(config.services, []);
    assert.ok(Value.Check(ConfigSchema, config));
  });

  it("computes allow_all and allow_existing_users as JupyterHub 5 when they are left out; what's given wins", () => {
    const allow = (authenticator: ConfigInput['authenticator']) => {
      const a = buildConfig({ authenticator }).authenticator;
      return [a.allow_all, a.allow_existing_users];
    };
    assert.deepEqual(allow({}), [true, false]);
    assert.deepEqual(allow({ allowed_users: ['ann'] }), [false, true]);
    assert.deepEqual(allow({ class: 'password' }), [false, true]);
    assert.deepEqual(
      allow({
        class: 'ldap',
        ldap: { server_address: 'ldap.example.org', bind_dn_template: ['uid={username},dc=example,dc=org'] },
      }),
      [false, false],
    );
    assert.deepEqual(allow({ allowed_users: ['ann'], allow_all: true, allow_existing_users: false }), [true, false]);
    assert.deepEqual(allow({ class: 'password', allow_existing_users: false }), [false, false]);
  });

  it('warns that nobody can log in when a class other than dummy has no allow rule', () => {
    const warning = (authenticator: ConfigInput['authenticator']) =>
      noAllowConfigWarning(buildConfig({ authenticator }));
    const ldap = {
      class: 'ldap' as const,
      ldap: { server_address: 'ldap.example.org', bind_dn_template: ['uid={username},dc=example,dc=org'] },
    };
    assert.match(warning(ldap) ?? '', /nobody can log in .*class: ldap/);
    assert.equal(warning({ ...ldap, allow_all: true }), null);
    assert.equal(warning({ ...ldap, ldap: { ...ldap.ldap, allowed_groups: ['cn=staff,dc=example,dc=org'] } }), null);
    assert.equal(warning({ ...ldap, allowed_users: ['ann'] }), null);
    assert.equal(warning({ ...ldap, allow_existing_users: true }), null);
    assert.equal(warning({}), null, 'dummy lets anyone in');
    assert.equal(warning({ class: 'password' }), null, "the password class's accounts are its existing users");
    assert.match(warning({ class: 'password', allow_existing_users: false }) ?? '', /nobody can log in/);
  });

  it('does not share default lists between loads', async () => {
    const a = defaultConfig();
    a.spawner.cmd.push('--debug');
    assert.deepEqual(defaultConfig().spawner.cmd, ['jupyterhub-singleuser']);
  });

  it("reads YAML, fills defaults inside sections and services, and sets baseDir to the file's directory", async () => {
    const file = writeTemp(
      'tshub.yaml',
      [
        'bind_url: https://hub.example.org/base/',
        'allow_named_servers: true',
        'proxy:',
        '  should_start: false',
        'services:',
        '  - name: idle-culler',
        '    command: [tshub, cull]',
        'spawner:',
        '  port_range: [9000, 9100]',
      ].join('\n'),
    );
    const { config, baseDir } = await loadConfig({ file, env: noEnv });
    assert.equal(baseDir, dirname(file));
    assert.equal(config.bind_url, 'https://hub.example.org/base/');
    assert.equal(config.allow_named_servers, true);
    assert.equal(config.proxy.should_start, false);
    assert.equal(config.proxy.api_url, 'http://127.0.0.1:8001');
    assert.deepEqual(config.spawner.port_range, [9000, 9100]);
    const svc = config.services[0];
    assert.ok(svc);
    assert.deepEqual(svc.command, ['tshub', 'cull']);
    assert.equal(svc.api_token, null);
    assert.equal(svc.display, true);
    assert.deepEqual(svc.environment, {});
  });

  it('reads JSON', async () => {
    const file = writeTemp('tshub.json', JSON.stringify({ log_level: 'debug', tokens: { max_active_per_user: 0 } }));
    const { config } = await loadConfig({ file, env: noEnv });
    assert.equal(config.log_level, 'debug');
    assert.equal(config.tokens.max_active_per_user, 0);
  });

  it('imports .mjs files (a plain default export)', async () => {
    const file = writeTemp(
      'tshub.config.mjs',
      "export default { concurrent_spawn_limit: 7, proxy: { class: 'tshub' } };\n",
    );
    const { config } = await loadConfig({ file, env: noEnv });
    assert.equal(config.concurrent_spawn_limit, 7);
    assert.equal(config.proxy.class, 'tshub');
  });

  it('imports .ts files exporting defineConfig()', async () => {
    const defineUrl = new URL('./define-config.ts', import.meta.url).href;
    const file = writeTemp(
      'tshub.config.ts',
      [
        `import { defineConfig } from ${JSON.stringify(defineUrl)};`,
        'const limit: number = 3;',
        "export default defineConfig({ named_server_limit_per_user: limit, authenticator: { admin_users: ['ada'] } });",
      ].join('\n'),
    );
    const { config } = await loadConfig({ file, env: noEnv });
    assert.equal(config.named_server_limit_per_user, 3);
    assert.deepEqual(config.authenticator.admin_users, ['ada']);
  });

  it('finds the file through TSHUB_CONFIG, relative to cwd', async () => {
    const file = writeTemp('from-env.yaml', 'active_server_limit: 4\n');
    const { config, file: used } = await loadConfig({ env: { TSHUB_CONFIG: 'from-env.yaml' }, cwd: dirname(file) });
    assert.equal(used, file);
    assert.equal(config.active_server_limit, 4);
  });

  it('prefers an explicit file over TSHUB_CONFIG', async () => {
    const file = writeTemp('explicit.yaml', 'active_server_limit: 9\n');
    const { config } = await loadConfig({ file, env: { TSHUB_CONFIG: '/nonexistent/tshub.yaml' } });
    assert.equal(config.active_server_limit, 9);
  });

  it('treats an empty YAML file, and empty sections, as the defaults', async () => {
    const empty = await loadConfig({ file: writeTemp('empty.yaml', '# nothing here\n'), env: noEnv });
    assert.deepEqual(empty.config, defaultConfig());
    const blank = await loadConfig({
      file: writeTemp('blank.yaml', 'proxy:\nservices:\nspawner:\n  environment:\n'),
      env: noEnv,
    });
    assert.deepEqual(blank.config, defaultConfig());
  });

  it('fails clearly on a missing file', async () => {
    const missing = join(tempDir(), 'nope.yaml');
    const msg = await configErrorOf(() => loadConfig({ file: missing, env: noEnv }));
    assert.match(msg, /does not exist/);
    assert.ok(msg.includes(missing));
  });

  it('reports YAML syntax errors with a position but no excerpt', async () => {
    const file = writeTemp('broken.yaml', 'proxy:\n  auth_token: "s3cret-value\n');
    const msg = await configErrorOf(() => loadConfig({ file, env: noEnv }));
    assert.match(msg, /not valid YAML \(line \d+, column \d+\)/);
    assert.ok(!msg.includes('s3cret-value'));
  });
});

describe('environment and flags', () => {
  it('reads top-level and section keys, parsing YAML scalars', async () => {
    const { config } = await loadConfig({
      env: {
        TSHUB_ALLOW_NAMED_SERVERS: 'true',
        TSHUB_NAMED_SERVER_LIMIT_PER_USER: '3',
        TSHUB_DB_URL: 'postgresql://hub@db:5432/hub',
        TSHUB_PROXY__API_URL: 'http://10.0.0.2:8001',
        TSHUB_PROXY__SHOULD_START: 'false',
        TSHUB_SPAWNER__CMD: '[jupyter, lab]',
        TSHUB_TOKENS__EXPIRES_IN_MAX_SECONDS: 'null',
        TSHUB_PROXY__AUTH_TOKEN: '12345678', // digits, yet a string key
        TSHUB_AUTHENTICATOR__PASSWORD: 'abc #1', // not a YAML comment
        TSHUB_LOG_LEVEL: '', // empty counts as unset
        TSHUB_UNRELATED: 'x',
      },
    });
    assert.equal(config.allow_named_servers, true);
    assert.equal(config.named_server_limit_per_user, 3);
    assert.equal(config.db_url, 'postgresql://hub@db:5432/hub');
    assert.equal(config.proxy.api_url, 'http://10.0.0.2:8001');
    assert.equal(config.proxy.should_start, false);
    assert.deepEqual(config.spawner.cmd, ['jupyter', 'lab']);
    assert.equal(config.tokens.expires_in_max_seconds, null);
    assert.equal(config.proxy.auth_token, '12345678');
    assert.equal(config.authenticator.password, 'abc #1');
    assert.equal(config.log_level, 'info');
  });

  it('layers defaults < file < env < flags, deep-merging objects and replacing lists', async () => {
    const file = writeTemp(
      'layers.yaml',
      [
        'bind_url: http://file.example:8000/',
        'hub_bind_url: http://file.example:8081/',
        'log_level: warn',
        'proxy: { api_url: "http://file.example:8001", auth_token: from-the-file }',
        'spawner: { args: [--a, --b], environment: { A: "1", B: "2" } }',
      ].join('\n'),
    );
    const { config } = await loadConfig({
      file,
      env: {
        TSHUB_HUB_BIND_URL: 'http://env.example:8081/',
        TSHUB_BIND_URL: 'http://env.example:8000/',
        TSHUB_PROXY__API_URL: 'http://env.example:8001',
        TSHUB_PROXY__AUTH_TOKEN: '', // empty: unset, not null
      },
      flags: {
        bind_url: 'http://flag.example:8000/',
        log_level: undefined, // an unset CLI option does not override
        spawner: { args: ['--c'], environment: { B: 'flag' } },
      },
    });
    assert.equal(config.bind_url, 'http://flag.example:8000/');
    assert.equal(config.hub_bind_url, 'http://env.example:8081/');
    assert.equal(config.log_level, 'warn');
    assert.equal(config.proxy.api_url, 'http://env.example:8001');
    assert.equal(config.proxy.auth_token, 'from-the-file');
    assert.deepEqual(config.spawner.args, ['--c']);
    assert.deepEqual(config.spawner.environment, { A: '1', B: 'flag' });
  });

  it('names the variable that set a bad value', async () => {
    const msg = await configErrorOf(() => loadConfig({ env: { TSHUB_PROXY__CHECK_ROUTES_INTERVAL: 'often' } }));
    assert.match(
      msg,
      /proxy\.check_routes_interval in environment variable TSHUB_PROXY__CHECK_ROUTES_INTERVAL: expected an integer >= 1, got "often"/,
    );
  });

  it('rejects unknown keys in flags', async () => {
    const msg = await configErrorOf(() => loadConfig({ env: noEnv, flags: { proxy: { api_uri: 'x' } } }));
    assert.match(msg, /unknown key "proxy\.api_uri" in command-line flags/);
  });
});
