// Revocation that reaches running servers at once: a real jupyterhub-singleuser (which caches the hub's
// answer for a token 300 s) behind `tshub proxy`; the hub pushes refused digests to the proxy, which
// answers 403 itself. Restarts of the proxy and of the hub keep the refusals.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { Hub } from '../src/app.ts';
import type { Config } from '../src/config/index.ts';
import { isAlive, killGroup } from '../src/lib/process.ts';
import { readPid, stateFiles } from '../src/proxy/state-files.ts';
import { findExecutable } from '../src/spawners/command.ts';
import { Browser } from './browser-session.ts';
import { prepareTestHub, replyOf, testConfig, type Reply, type TestSetup } from './harness.ts';
import { freePort } from './process.ts';

const SINGLEUSER = findExecutable('jupyterhub-singleuser', process.env.PATH, '/');
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const STATUS = 'user/alice/api/status';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A WebSocket handshake on a raw socket (fetch cannot send one): everything the proxy answered. */
function rawUpgrade(base: URL, path: string, token: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(Number(base.port), base.hostname);
    let got = '';
    sock.setTimeout(5000, () => sock.destroy(new Error('no answer to the upgrade')));
    sock.on('data', (d) => (got += d.toString('latin1')));
    sock.on('close', () => resolve(got));
    sock.on('error', reject);
    sock.write(
      `GET ${path} HTTP/1.1\r\nHost: ${base.host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
        `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nAuthorization: token ${token}\r\n\r\n`,
    );
  });
}

describe('revocation at tshub proxy, with a real jupyterhub-singleuser', {
  skip: SINGLEUSER ? false : 'jupyterhub-singleuser is not installed (Debian package jupyterhub)',
}, () => {
  let s: TestSetup;
  let config: Config;
  let hub: Hub;
  let url = '';

  const call = async (method: string, path: string, token: string | null, headers: Record<string, string> = {}) => {
    const h = { ...headers };
    if (token !== null) h.authorization = `token ${token}`;
    const res = await fetch(new URL(path, url), {
      method,
      headers: h,
      redirect: 'manual',
      signal: AbortSignal.timeout(10_000),
    });
    return replyOf(res.status, res.headers, await res.text());
  };
  const admin = (method: string, path: string, body?: unknown): Promise<Reply> =>
    fetch(new URL(path, url), {
      method,
      headers: { authorization: `token ${s.adminToken}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    }).then(async (r) => replyOf(r.status, r.headers, await r.text()));
  const newToken = async (body: Record<string, unknown> = {}): Promise<{ id: string; token: string }> => {
    const r = await admin('POST', 'hub/api/users/alice/tokens', body);
    assert.equal(r.status, 201, r.text);
    return { id: r.json.id, token: r.json.token };
  };
  /** Polls until `check` holds, failing if it takes longer than `ms`; returns the last reply. */
  const within = async (ms: number, probe: () => Promise<Reply>, check: (r: Reply) => boolean, what: string) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const r = await probe();
      if (check(r)) return r;
      assert.ok(Date.now() < deadline, `${what}: still ${r.status} ${r.text.slice(0, 200)} after ${ms} ms`);
      await sleep(50);
    }
  };
  const refused = (reason: string) => (r: Reply) => r.status === 403 && r.json?.reason === reason;
  const startHub = async () => {
    hub = await Hub.create({ config, baseDir: s.dir, log: s.log });
    await hub.start();
    url = hub.publicUrl;
  };
  const serverReady = async () => {
    const deadline = Date.now() + 45_000;
    for (;;) {
      const routes = (await admin('GET', 'hub/api/proxy')).json ?? {};
      const ready = (await admin('GET', 'hub/api/users/alice')).json?.servers?.['']?.ready === true;
      if (ready && routes['/user/alice/']) return;
      assert.ok(Date.now() < deadline, 'the server did not become ready');
      await sleep(200);
    }
  };
  const proxyPid = () => readPid(stateFiles(s.dir).pid);

  before(async () => {
    const overrides = {
      // A fixed hub port: the server's JUPYTERHUB_API_URL must still reach the hub after its restart.
      hub_bind_url: `http://127.0.0.1:${await freePort()}/`,
      slow_spawn_timeout: 0,
      // Each test makes its own tokens for alice.
      tokens: { max_active_per_user: 0 },
      // The hub restart below keeps alice's server running, as a production hub does.
      cleanup_servers: false,
      spawner: { environment: { JUPYTERHUB_SINGLEUSER_APP: 'notebook.notebookapp.NotebookApp' } },
    };
    s = await prepareTestHub(overrides);
    config = testConfig(s, overrides, `http://127.0.0.1:${await freePort()}/`, `http://127.0.0.1:${await freePort()}`);
    config.proxy.class = 'tshub';
    await startHub();
    assert.equal((await admin('POST', 'hub/api/users', { usernames: ['alice'] })).status, 201);
    const start = await admin('POST', 'hub/api/users/alice/server');
    assert.ok([201, 202].includes(start.status), start.text);
    await serverReady();
  });
  after(async () => {
    if (hub) {
      await admin('DELETE', 'hub/api/users/alice/server').catch(() => {});
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline && hub.ctx.servers.activeCount() > 0) await sleep(200);
      await hub.stop();
    }
    const pid = proxyPid();
    if (pid !== null && isAlive(pid)) await killGroup(pid, 2000).catch(() => {});
    await s?.discard();
  });

  test('a revoked token: 200 from the server before, 403 token_revoked from the proxy within 1 s after', async () => {
    const mine = await newToken();
    const other = await newToken();
    assert.equal((await call('GET', STATUS, mine.token)).status, 200);
    assert.equal((await call('GET', STATUS, other.token)).status, 200);
    assert.equal((await admin('DELETE', `hub/api/users/alice/tokens/${mine.id}`)).status, 204);
    const r = await within(1000, () => call('GET', STATUS, mine.token), refused('token_revoked'), 'revoked token');
    assert.equal(r.json.status, 403);
    assert.equal(r.json.message, 'Missing or invalid credentials.');
    assert.match(r.headers.get('content-type') ?? '', /application\/json/);
    // Every way a token travels is checked; pages and WebSocket upgrades too.
    assert.equal((await call('GET', `${STATUS}?token=${mine.token}`, null)).json?.reason, 'token_revoked');
    const bearer = await call('GET', 'user/alice/tree', null, { authorization: `Bearer ${mine.token}` });
    assert.equal(bearer.status, 403);
    assert.equal(bearer.json?.reason, 'token_revoked');
    const ws = await rawUpgrade(new URL(url), '/user/alice/api/kernels/x/channels', mine.token);
    assert.match(ws, /^HTTP\/1\.1 403 /);
    assert.match(ws, /"reason":"token_revoked"/);
    // Unrelated tokens keep working, and so does the hub's own API for the admin.
    assert.equal((await call('GET', STATUS, other.token)).status, 200);
    assert.equal((await admin('GET', 'hub/api/users/alice')).status, 200);
    // One structured line per refusal, without the token.
    const proxyLog = readFileSync(stateFiles(s.dir).log, 'utf8');
    const lines = proxyLog.split('\n').filter((l) => l.includes('refused a request carrying a refused token'));
    assert.ok(lines.length >= 3, 'refusals are logged');
    for (const l of lines) assert.ok(!l.includes(mine.token.slice(6)), 'no token text in the log');
  });

  test('rotated out (no grace) and deleted with the user: refused within 1 s with the hub reason', async () => {
    const old = await newToken();
    assert.equal((await call('GET', STATUS, old.token)).status, 200);
    const rotated = await admin('POST', `hub/api/users/alice/tokens/${old.id}/rotate`, { grace_seconds: 0 });
    assert.equal(rotated.status, 201, rotated.text);
    await within(1000, () => call('GET', STATUS, old.token), refused('token_rotated'), 'rotated-out token');
    assert.equal((await call('GET', STATUS, rotated.json.token)).status, 200, 'its successor works');

    assert.equal((await admin('POST', 'hub/api/users', { usernames: ['bob'] })).status, 201);
    const bob = await admin('POST', 'hub/api/users/bob/tokens', {});
    assert.equal(bob.status, 201);
    // Bob's token reaches the hub's API through the proxy until bob is deleted.
    assert.equal((await call('GET', 'hub/api/user', bob.json.token)).status, 200);
    assert.equal((await admin('DELETE', 'hub/api/users/bob')).status, 204);
    await within(1000, () => call('GET', STATUS, bob.json.token), refused('token_unknown'), 'deleted user token');
  });

  test('an OAuth cookie made by a forged value is forwarded for the server to judge', async () => {
    const other = await newToken();
    const junk = Buffer.from('not a token, just random bytes: 9f8e7d').toString('base64');
    const forged = `2|1:0|10:1700000000|21:jupyterhub-user-alice|${junk.length}:${junk}|${'ab'.repeat(32)}`;
    for (const cookie of [
      `jupyterhub-user-alice="${forged}"`,
      'jupyterhub-user-alice=%%%|||',
      'jupyterhub-user-alice=2|9999',
    ]) {
      const r = await call('GET', STATUS, other.token, { cookie });
      assert.equal(r.status, 200, `${cookie}: ${r.status} ${r.text.slice(0, 200)}`);
      // Without a token the server itself decides (it refuses a bad cookie: no `reason` of ours).
      const bare = await call('GET', STATUS, null, { cookie });
      assert.notEqual(bare.status, 200);
      assert.notEqual(bare.json?.message, 'Missing or invalid credentials.', bare.text.slice(0, 200));
    }
  });

  test("logging out of the hub revokes the server's OAuth token: its cookie is refused within 1 s", async () => {
    const alice = new Browser({ url });
    await alice.login('alice');
    let r = await alice.get('user/alice/tree');
    // The OAuth dance: the server sends alice to the hub, which sends her back with a code.
    for (let hops = 0; r.status === 302 && hops < 5; hops++) r = await alice.get(r.location!);
    assert.equal(r.status, 200, r.text.slice(0, 200));
    const cookie = alice.cookie('jupyterhub-user-alice');
    assert.ok(cookie, 'the server set its login cookie');
    const withCookie = () => call('GET', STATUS, null, { cookie: `jupyterhub-user-alice=${cookie.value}` });
    assert.equal((await withCookie()).status, 200);
    await alice.get('hub/logout');
    await within(1000, withCookie, refused('token_revoked'), 'the cookie after logout');
  });

  test('an expiring token is refused at the proxy within 1 s of its expiry', async () => {
    const r = await admin('POST', 'hub/api/users/alice/tokens', { expires_in: 2 });
    assert.equal(r.status, 201, r.text);
    const expiresAt = Date.parse(r.json.expires_at);
    assert.equal((await call('GET', STATUS, r.json.token)).status, 200);
    await sleep(Math.max(0, expiresAt - Date.now()));
    await within(1000, () => call('GET', STATUS, r.json.token), refused('token_expired'), 'expired token');
  });

  test('a restarted proxy learns the refusals again before it routes to the server', async () => {
    const mine = await newToken();
    const other = await newToken();
    assert.equal((await admin('DELETE', `hub/api/users/alice/tokens/${mine.id}`)).status, 204);
    await within(1000, () => call('GET', STATUS, mine.token), refused('token_revoked'), 'revoked token');
    const pid = proxyPid();
    assert.ok(pid !== null);
    await killGroup(pid, 2000);
    // The hub notices the dead proxy (every 5 s), starts a new one and feeds it before adding routes.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const r = await call('GET', STATUS, other.token).catch(() => null);
      if (r?.status === 200) break;
      assert.ok(Date.now() < deadline, 'the proxy did not come back with its routes');
      await sleep(200);
    }
    assert.notEqual(proxyPid(), pid);
    assert.equal((await call('GET', STATUS, mine.token)).json?.reason, 'token_revoked');
  });

  test('after a hub restart (and a new proxy) a revoked token is still refused', async () => {
    const mine = await newToken();
    const other = await newToken();
    assert.equal((await call('GET', STATUS, mine.token)).status, 200);
    assert.equal((await admin('DELETE', `hub/api/users/alice/tokens/${mine.id}`)).status, 204);
    await within(1000, () => call('GET', STATUS, mine.token), refused('token_revoked'), 'revoked token');
    await hub.stop();
    // The proxy kept running with alice's server: it still refuses while the hub is away.
    assert.equal((await call('GET', STATUS, mine.token)).json?.reason, 'token_revoked');
    // A proxy with an empty set, then a new hub: its start-up push feeds it before the routes.
    const pid = proxyPid();
    if (pid !== null) await killGroup(pid, 2000);
    await startHub();
    await serverReady();
    assert.equal((await call('GET', STATUS, mine.token)).json?.reason, 'token_revoked');
    assert.equal((await call('GET', STATUS, other.token)).status, 200);
  });

  test('a token the token policy comes to block (allow_never_expire: false at a restart) is refused at the proxy', async () => {
    const never = await newToken();
    const dated = await newToken({ expires_in: 3600 });
    // The server has cached the hub's answer for this token: only the proxy can refuse it from now on.
    assert.equal((await call('GET', STATUS, never.token)).status, 200);
    await hub.stop();
    config.tokens.allow_never_expire = false;
    await startHub();
    await serverReady();
    await within(1000, () => call('GET', STATUS, never.token), refused('token_policy_never_expires'), 'blocked token');
    assert.equal((await call('GET', STATUS, dated.token)).status, 200);
  });

  test('in Chromium: the OAuth login cookie of the server is refused within 1 s of revoking its token', {
    skip: CHROMIUM ? false : 'no chromium',
  }, async () => {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    try {
      const page = await browser.newPage();
      await page.goto(new URL('hub/login', url).toString());
      await page.getByLabel('Username').fill('alice');
      await page.getByLabel('Password').fill('anything');
      await page.getByRole('button', { name: 'Sign in' }).click();
      // JupyterHub's landing: the user's running server (redirect_to_server).
      await page.waitForURL(/\/user\/alice\//);
      await page.goto(new URL('user/alice/tree', url).toString());
      await page.waitForURL(/\/user\/alice\/tree/, { timeout: 20_000 });
      const ok = await page.goto(new URL(STATUS, url).toString());
      assert.equal(ok?.status(), 200);
      const cookies = await page.context().cookies();
      assert.ok(
        cookies.some((c) => c.name === 'jupyterhub-user-alice'),
        'the server set its login cookie',
      );

      const tokens = (await admin('GET', 'hub/api/users/alice/tokens')).json.api_tokens as {
        id: string;
        oauth_client: string;
      }[];
      const oauth = tokens.filter((t) => t.oauth_client !== 'JupyterHub');
      assert.ok(oauth.length >= 1, JSON.stringify(tokens));
      assert.equal((await admin('DELETE', `hub/api/users/alice/tokens/${oauth[0]!.id}`)).status, 204);
      const deadline = Date.now() + 1000;
      for (;;) {
        const res = await page.goto(new URL(STATUS, url).toString());
        if (res?.status() === 403) {
          assert.equal(JSON.parse(await res.text()).reason, 'token_revoked');
          break;
        }
        assert.ok(Date.now() < deadline, `still ${res?.status()} 1 s after the revoke`);
        await sleep(50);
      }
    } finally {
      await browser.close();
    }
  });
});
