import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHub, type TestHub } from './harness.ts';
import { runTshub } from './process.ts';

const SERVICE_TOKEN = 'cli-user-test-service-token-0123456789';

// The user-side commands as a user runs them: the real CLI process against a real hub over HTTP.
describe('tshub whoami / tokens (user side, through the REST API)', () => {
  let h: TestHub;
  let alice: string;
  let home: string;
  /** No stored login and no JUPYTERHUB_* from the test's own environment unless a test says so. */
  let env: NodeJS.ProcessEnv;
  const cli = (args: string[], extra: NodeJS.ProcessEnv = {}) => runTshub(args, { ...env, ...extra });

  before(async () => {
    h = await startHub({
      services: [{ name: 'cli-svc', api_token: SERVICE_TOKEN }],
      load_roles: [{ name: 'cli-svc-role', scopes: ['admin:services'], services: ['cli-svc'] }],
    });
    await h.addUsers(['alice', 'bob']);
    alice = await h.tokenFor('alice', { note: 'cli test' });
    home = mkdtempSync(join(tmpdir(), 'tshub-cli-user-'));
    env = { XDG_CONFIG_HOME: home, JUPYTERHUB_API_TOKEN: undefined, JUPYTERHUB_API_URL: undefined };
  });
  after(async () => {
    await h.stop();
    rmSync(home, { recursive: true, force: true });
  });

  test('whoami: a table, and --json is the hub model', async () => {
    const t = await cli(['whoami', '--url', h.url, '--token', alice]);
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /^name\s+alice$/m);
    assert.match(t.stdout, /^kind\s+user$/m);
    const j = await cli(['whoami', '--url', h.url, '--token', alice, '--json']);
    assert.equal(j.code, 0, j.stderr);
    const me = JSON.parse(j.stdout);
    assert.equal(me.name, 'alice');
    assert.equal(me.admin, false);
    assert.ok(Array.isArray(me.scopes));
  });

  test('a bad token: exit 1 with the hub message and reason on stderr', async () => {
    const r = await cli(['whoami', '--url', h.url, '--token', 'not-a-real-token']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^tshub whoami: 403 .+ \([a-z_]+\)\n$/);
  });

  test('usage errors exit 2: no hub, unknown option, bad number', async () => {
    const none = await cli(['whoami']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no hub: pass --url/);
    const noToken = await cli(['tokens', 'list', '--url', h.url]);
    assert.equal(noToken.code, 2);
    assert.match(noToken.stderr, /no token for/);
    assert.equal((await cli(['tokens', 'list', '--bogus'])).code, 2);
    const bad = await cli(['tokens', 'create', '--url', h.url, '--token', alice, '--expires-in', 'soon']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--expires-in must be a whole number of seconds/);
    const verbs = [['list'], ['create'], ['revoke'], ['rotate']].map((v) => ['tokens', ...v]);
    verbs.push(...[['list'], ['start'], ['stop']].map((v) => ['servers', ...v]), ['whoami']);
    for (const cmd of verbs) {
      const help = await cli([...cmd, '--help']);
      assert.equal(help.code, 0, `${cmd.join(' ')}: ${help.stderr}`);
      assert.match(help.stdout, new RegExp(`^Usage: tshub ${cmd.join(' ')} `));
      assert.match(help.stdout, /--url <url>[\s\S]*--token <token>[\s\S]*--json/);
    }
    assert.match((await cli(['tokens', 'create', '--help'])).stdout, /--expires-in <seconds>/);
    assert.equal((await cli(['servers', 'start', 'a', 'b'])).code, 2);
  });

  test('env fallback: JUPYTERHUB_API_URL (an API URL) and JUPYTERHUB_API_TOKEN', async () => {
    const r = await cli(['whoami', '--json'], {
      JUPYTERHUB_API_URL: new URL('hub/api', h.url).href,
      JUPYTERHUB_API_TOKEN: alice,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).name, 'alice');
  });

  test('tokens create, list, rotate, revoke', async () => {
    const as = ['--url', h.url, '--token', alice];
    const c = await cli(['tokens', 'create', ...as, '--note', 'from the cli', '--expires-in', '3600', '--json']);
    assert.equal(c.code, 0, c.stderr);
    const created = JSON.parse(c.stdout);
    assert.equal(created.note, 'from the cli');
    assert.ok(created.expires_at);
    // The new token works.
    assert.equal((await h.request('GET', 'hub/api/user', { token: created.token })).json.name, 'alice');

    const plain = await cli(['tokens', 'create', ...as, '--scopes', 'read:tokens!user=alice,read:servers!user=alice']);
    assert.equal(plain.code, 0, plain.stderr);
    const token2 = plain.stdout.trim();
    assert.doesNotMatch(token2, /\s/);
    const seen = (await h.request('GET', 'hub/api/user', { token: token2 })).json;
    assert.equal(seen.name, 'alice');
    // The requested scopes (and what they imply), nothing more: no write scope came with them.
    assert.ok(seen.scopes.includes('read:tokens!user=alice') && seen.scopes.includes('read:servers!user=alice'));
    assert.ok(!seen.scopes.some((s: string) => s.startsWith('tokens') || s.startsWith('servers')));

    const l = await cli(['tokens', 'list', ...as, '--json']);
    assert.equal(l.code, 0, l.stderr);
    const ids = JSON.parse(l.stdout).api_tokens.map((t: { id: string }) => t.id);
    assert.ok(ids.includes(created.id));
    const table = await cli(['tokens', 'list', ...as]);
    assert.match(table.stdout, /^ID\s+NOTE\s+EXPIRES\s+LAST USED\s+SCOPES$/m);
    assert.match(table.stdout, new RegExp(`^${created.id}\\s+from the cli\\s`, 'm'));

    const rot = await cli(['tokens', 'rotate', ...as, created.id, '--json']);
    assert.equal(rot.code, 0, rot.stderr);
    const rotated = JSON.parse(rot.stdout);
    assert.notEqual(rotated.token, created.token);
    assert.equal(rotated.note, 'from the cli');
    assert.equal((await h.request('GET', 'hub/api/user', { token: created.token })).status, 403);
    assert.equal((await h.request('GET', 'hub/api/user', { token: rotated.token })).status, 200);

    const missing = await cli(['tokens', 'rotate', ...as, 'a999999']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^tshub tokens rotate: 404 .+ \([a-z_]+\)\n$/);

    const rev = await cli(['tokens', 'revoke', ...as, rotated.id]);
    assert.equal(rev.code, 0, rev.stderr);
    assert.equal(rev.stdout, `revoked ${rotated.id}\n`);
    assert.equal((await h.request('GET', 'hub/api/user', { token: rotated.token })).status, 403);
    const again = await cli(['tokens', 'revoke', ...as, rotated.id]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /404/);
  });

  test("bob cannot touch alice's tokens: his commands act on his own", async () => {
    const bob = await h.tokenFor('bob');
    const l = await cli(['tokens', 'list', '--url', h.url, '--token', bob, '--json']);
    assert.equal(l.code, 0, l.stderr);
    const notes = JSON.parse(l.stdout).api_tokens.map((t: { note: string }) => t.note);
    assert.ok(!notes.includes('cli test'));
  });

  test('the stored login: used by default; rotate self replaces it; a 0644 file is refused', async () => {
    const dir = join(home, 'tshub');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'credentials.json');
    const own = await h.tokenFor('alice', { note: 'stored login' });
    const store = (token: string) => ({
      default: h.url,
      hubs: { [h.url]: { token, user: 'alice', created: new Date().toISOString() } },
    });
    writeFileSync(file, JSON.stringify(store(own)), { mode: 0o600 });
    const r = await cli(['whoami', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).name, 'alice');

    const rot = await cli(['tokens', 'rotate', 'self', '--json']);
    assert.equal(rot.code, 0, rot.stderr);
    const fresh = JSON.parse(rot.stdout).token as string;
    const { loadCredentials } = await import('../src/cli/user/store.ts');
    const saved = process.env.XDG_CONFIG_HOME;
    process.env.XDG_CONFIG_HOME = home;
    try {
      assert.equal((await loadCredentials(h.url))?.token, fresh);
    } finally {
      if (saved === undefined) delete process.env.XDG_CONFIG_HOME;
      else process.env.XDG_CONFIG_HOME = saved;
    }
    assert.equal((await cli(['whoami'])).code, 0);
    // JUPYTERHUB_API_URL alone (an API URL) finds the login stored under the hub's URL.
    const byEnv = await cli(['whoami', '--json'], { JUPYTERHUB_API_URL: `${h.url}hub/api` });
    assert.equal(byEnv.code, 0, byEnv.stderr);
    assert.equal(JSON.parse(byEnv.stdout).name, 'alice');

    rmSync(file);
    writeFileSync(file, JSON.stringify(store(fresh)), { mode: 0o644 });
    const refused = await cli(['whoami']);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /readable by others \(mode 644\)/);
    // Flags need no stored login, so a refused file does not stand in their way.
    assert.equal((await cli(['whoami', '--url', h.url, '--token', fresh])).code, 0);
  });

  test("a service's token: tokens acts on the service's own tokens; servers says services have none", async () => {
    const as = ['--url', h.url, '--token', SERVICE_TOKEN];
    const me = await cli(['whoami', ...as]);
    assert.match(me.stdout, /^kind\s+service$/m);
    const l = await cli(['tokens', 'list', ...as, '--json']);
    assert.equal(l.code, 0, l.stderr);
    assert.equal(JSON.parse(l.stdout).api_tokens.length, 1);
    const s = await cli(['servers', 'list', ...as]);
    assert.equal(s.code, 1);
    assert.equal(s.stderr, 'tshub servers list: cli-svc is a service: services have no servers\n');
  });
});
