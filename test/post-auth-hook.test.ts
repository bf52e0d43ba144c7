// post_auth_hook from a .mjs config, in a real hub process: it sees the login after the allow rules and
// admin_users, may change admin, groups and auth_state, refuses with null, and fails a login when it throws
// or answers nonsense.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { Browser } from './browser-session.ts';
import { type RunningHub, spawnHub, writeHubConfig } from './process.ts';

const TOKEN = 'post-auth-hook-admin-token-0123456789';
// 32 bytes, base64: auth_state needs a key.
const CRYPT_KEY = Buffer.alloc(32, 7).toString('base64');

// The hook: `dora` is refused, `erin` made admin and put in a group, `frank`'s admin_users promotion
// undone, `gil` gets auth_state; `hank` throws, `ivan` changes the name, `jo` returns nothing.
const HOOK = `
  async post_auth_hook(auth, ctx) {
    ctx.log.info({ user: auth.name, admin: auth.admin, base: ctx.config.bind_url }, 'post_auth_hook saw');
    if (auth.name === 'dora') return null;
    if (auth.name === 'erin') return { ...auth, admin: true, groups: ['hooked'] };
    if (auth.name === 'frank') return { ...auth, admin: false };
    if (auth.name === 'gil') return { ...auth, auth_state: { from: 'hook', admin_was: auth.admin } };
    if (auth.name === 'hank') throw new Error('the HR system is down');
    if (auth.name === 'ivan') return { ...auth, name: 'root' };
    if (auth.name === 'jo') return;
    return auth;
  },`;

describe('post_auth_hook in a .mjs config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tshub-post-auth-hook-'));
  let hub: RunningHub;
  let pub = '';
  let drop: () => Promise<void> = async () => {};
  const api = async (path: string) => {
    const r = await fetch(`${pub}hub/api/${path}`, {
      headers: { authorization: `token ${TOKEN}` },
      signal: AbortSignal.timeout(10_000),
    });
    return { status: r.status, json: (await r.json()) as any };
  };
  const login = (name: string) => new Browser({ url: pub }).login(name);

  before(async () => {
    const written = await writeHubConfig(dir, [
      'authenticator: { admin_users: [admin, frank], manage_groups: true, enable_auth_state: true }',
      `api_tokens: { "${TOKEN}": admin }`,
    ]);
    pub = written.pub;
    drop = () => written.db.drop();
    const base = parse(readFileSync(written.cfg, 'utf8')) as Record<string, any>;
    const mjs = join(dir, 'tshub.mjs');
    const { authenticator, ...rest } = base;
    writeFileSync(
      mjs,
      `export default { ...${JSON.stringify(rest)}, authenticator: { ...${JSON.stringify(authenticator)}, ${HOOK} } };\n`,
    );
    hub = await spawnHub(['--config', mjs], `${pub}hub/api/`, { JUPYTERHUB_CRYPT_KEY: CRYPT_KEY });
  });
  after(async () => {
    await hub?.stop();
    await drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a login the hook passes through logs in; the hook saw the admin verdict and the config', async () => {
    assert.equal((await login('carl')).status, 302);
    assert.equal((await api('users/carl')).json.admin, false);
    assert.match(hub.output(), /"user":"carl","admin":null,"base":"http:\/\/127\.0\.0\.1:\d+\/".*post_auth_hook saw/);
  });

  test('null refuses the login: 403 on the form, no user, no session, login.failure audited', async () => {
    const b = new Browser({ url: pub });
    const r = await b.login('dora');
    assert.equal(r.status, 403, r.text);
    assert.match(r.text, /User dora is not allowed/);
    assert.equal(b.cookie('jupyterhub-hub-login'), undefined);
    assert.equal((await api('users/dora')).status, 404);
    const audit = await api('audit?action=login.failure');
    assert.ok(
      audit.json.some((e: any) => e.target.name === 'dora' && e.outcome === 'denied'),
      JSON.stringify(audit.json),
    );
  });

  test('the hook grants admin and groups (manage_groups), and takes back an admin_users promotion', async () => {
    assert.equal((await login('erin')).status, 302);
    const erin = await api('users/erin');
    assert.equal(erin.json.admin, true);
    assert.deepEqual(erin.json.groups, ['hooked']);
    assert.equal((await login('frank')).status, 302);
    assert.equal((await api('users/frank')).json.admin, false);
  });

  test("the hook's auth_state is stored (encrypted) and shown to admin:auth_state", async () => {
    assert.equal((await login('gil')).status, 302);
    const gil = await api('users/gil');
    assert.deepEqual(gil.json.auth_state, { from: 'hook', admin_was: null });
  });

  test('a hook that throws, renames or returns nothing fails the login with auth_hook_failed and no user', async () => {
    for (const [name, why] of [
      ['hank', /the HR system is down/],
      ['ivan', /may not change the name/],
      ['jo', /returned nothing/],
    ] as const) {
      const r = await login(name);
      assert.equal(r.status, 500, `${name}: ${r.text}`);
      assert.match(r.text, why);
      assert.equal((await api(`users/${name}`)).status, 404, name);
    }
    assert.match(hub.output(), /post_auth_hook failed/);
  });
});

test('post_auth_hook in a YAML config is an error naming the key', async () => {
  const { loadConfig } = await import('../src/config/index.ts');
  const dir = mkdtempSync(join(tmpdir(), 'tshub-post-auth-hook-yaml-'));
  try {
    const yaml = join(dir, 'tshub.yaml');
    writeFileSync(yaml, 'authenticator:\n  post_auth_hook: my_module.hook\n');
    await assert.rejects(loadConfig({ file: yaml, env: {} }), /authenticator\.post_auth_hook .*must be a function/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
