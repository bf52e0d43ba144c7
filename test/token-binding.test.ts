// Token binding (issue 21): a token limited to addresses and to a start time, enforced by the hub (for
// requests to it, through `tshub proxy`'s X-Forwarded-For) and by `tshub proxy` itself (for requests to a
// real jupyterhub-singleuser, which caches the hub's answers). Both client addresses are loopback: the
// client socket is bound to 127.0.0.1 or 127.0.0.2.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { Hub } from '../src/app.ts';
import { isAlive, killGroup } from '../src/lib/process.ts';
import { readPid, stateFiles } from '../src/proxy/state-files.ts';
import { findExecutable } from '../src/spawners/command.ts';
import { prepareTestHub, replyOf, testConfig, type Reply, type TestSetup } from './harness.ts';
import { freePort } from './process.ts';

const SINGLEUSER = findExecutable('jupyterhub-singleuser', process.env.PATH, '/');
const STATUS = 'user/alice/api/status';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A request whose client socket is bound to `from` (a loopback address). */
function send(
  from: string,
  base: string,
  method: string,
  path: string,
  token: string | null,
  body?: unknown,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (token !== null) headers.authorization = `token ${token}`;
    const data = body === undefined ? undefined : JSON.stringify(body);
    if (data !== undefined) headers['content-type'] = 'application/json';
    const req = request(new URL(path, base), { method, headers, localAddress: from, timeout: 10_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') h.set(k, v);
        resolve(replyOf(res.statusCode ?? 0, h, text));
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer`)));
    req.on('error', reject);
    req.end(data);
  });
}

describe('token binding at the hub and at tshub proxy', {
  skip: SINGLEUSER ? false : 'jupyterhub-singleuser is not installed (Debian package jupyterhub)',
}, () => {
  let s: TestSetup;
  let hub: Hub;
  /** The proxy's public side, and the hub's own listener. */
  let url = '';
  let hubUrl = '';

  const admin = (method: string, path: string, body?: unknown) =>
    send('127.0.0.1', url, method, path, s.adminToken, body);
  const newToken = async (body: Record<string, unknown>): Promise<{ id: string; token: string; json: any }> => {
    const r = await admin('POST', 'hub/api/users/alice/tokens', body);
    assert.equal(r.status, 201, r.text);
    return { id: r.json.id, token: r.json.token, json: r.json };
  };
  const refusedWith = (r: Reply, reason: string) => {
    assert.equal(r.status, 403, r.text.slice(0, 300));
    assert.deepEqual(r.json, { status: 403, message: 'Missing or invalid credentials.', reason });
  };
  /** Polls until `check` holds, failing after `ms`. */
  const within = async (ms: number, probe: () => Promise<Reply>, check: (r: Reply) => boolean, what: string) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const r = await probe();
      if (check(r)) return r;
      assert.ok(Date.now() < deadline, `${what}: still ${r.status} ${r.text.slice(0, 200)} after ${ms} ms`);
      await sleep(50);
    }
  };

  before(async () => {
    const hubPort = await freePort();
    const overrides = {
      hub_bind_url: `http://127.0.0.1:${hubPort}/`,
      slow_spawn_timeout: 0,
      tokens: { max_active_per_user: 0 },
      spawner: { environment: { JUPYTERHUB_SINGLEUSER_APP: 'notebook.notebookapp.NotebookApp' } },
    };
    s = await prepareTestHub(overrides);
    const config = testConfig(
      s,
      overrides,
      `http://127.0.0.1:${await freePort()}/`,
      `http://127.0.0.1:${await freePort()}`,
    );
    config.proxy.class = 'tshub';
    hub = await Hub.create({ config, baseDir: s.dir, log: s.log });
    await hub.start();
    url = hub.publicUrl;
    hubUrl = `http://127.0.0.1:${hubPort}/`;
    assert.equal((await admin('POST', 'hub/api/users', { usernames: ['alice'] })).status, 201);
    const start = await admin('POST', 'hub/api/users/alice/server');
    assert.ok([201, 202].includes(start.status), start.text);
    const deadline = Date.now() + 45_000;
    for (;;) {
      const ready = (await admin('GET', 'hub/api/users/alice')).json?.servers?.['']?.ready === true;
      if (ready && (await admin('GET', 'hub/api/proxy')).json?.['/user/alice/']) break;
      assert.ok(Date.now() < deadline, 'the server did not become ready');
      await sleep(200);
    }
  });
  after(async () => {
    if (hub) {
      await admin('DELETE', 'hub/api/users/alice/server').catch(() => {});
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline && hub.ctx.servers.activeCount() > 0) await sleep(200);
      await hub.stop();
    }
    const pid = s ? readPid(stateFiles(s.dir).pid) : null;
    if (pid !== null && isAlive(pid)) await killGroup(pid, 2000).catch(() => {});
    await s?.discard();
  });

  test('bound to 127.0.0.1/32: 200 from 127.0.0.1, 403 token_ip_not_allowed from 127.0.0.2', async () => {
    const t = await newToken({ allowed_cidrs: ['127.0.0.1'] });
    assert.deepEqual(t.json.allowed_cidrs, ['127.0.0.1/32']);
    assert.equal(t.json.not_before, null);
    // At the hub directly, and at the hub through the proxy (which says who the client is).
    for (const base of [hubUrl, url]) {
      assert.equal((await send('127.0.0.1', base, 'GET', 'hub/api/user', t.token)).status, 200, base);
      refusedWith(await send('127.0.0.2', base, 'GET', 'hub/api/user', t.token), 'token_ip_not_allowed');
    }
    // At a server behind the proxy: the proxy answers for it once the hub has told it the binding.
    assert.equal((await send('127.0.0.1', url, 'GET', STATUS, t.token)).status, 200);
    const r = await within(
      2000,
      () => send('127.0.0.2', url, 'GET', STATUS, t.token),
      (r) => r.json?.reason === 'token_ip_not_allowed',
      'bound token from outside',
    );
    refusedWith(r, 'token_ip_not_allowed');
    // An unbound token works from anywhere.
    const free = await newToken({});
    assert.deepEqual(free.json.allowed_cidrs, []);
    assert.equal((await send('127.0.0.2', url, 'GET', STATUS, free.token)).status, 200);
    assert.equal((await send('127.0.0.2', hubUrl, 'GET', 'hub/api/user', free.token)).status, 200);
  });

  test('bound after use: a server that cached the token refuses it within 1 s; lifting the binding lets it in', async () => {
    const t = await newToken({});
    assert.equal((await send('127.0.0.2', url, 'GET', STATUS, t.token)).status, 200);
    const bound = await admin('PATCH', `hub/api/users/alice/tokens/${t.id}`, { allowed_cidrs: ['127.0.0.0/31'] });
    assert.equal(bound.status, 200, bound.text);
    assert.deepEqual(bound.json.allowed_cidrs, ['127.0.0.0/31']);
    const listed = await admin('GET', `hub/api/users/alice/tokens/${t.id}`);
    assert.deepEqual(listed.json.allowed_cidrs, ['127.0.0.0/31']);
    refusedWith(await send('127.0.0.2', hubUrl, 'GET', 'hub/api/user', t.token), 'token_ip_not_allowed');
    const r = await within(
      1000,
      () => send('127.0.0.2', url, 'GET', STATUS, t.token),
      (r) => r.json?.reason === 'token_ip_not_allowed',
      'bound token at the server',
    );
    refusedWith(r, 'token_ip_not_allowed');
    assert.equal((await send('127.0.0.1', url, 'GET', STATUS, t.token)).status, 200);
    const lifted = await admin('PATCH', `hub/api/users/alice/tokens/${t.id}`, { allowed_cidrs: null });
    assert.deepEqual(lifted.json.allowed_cidrs, []);
    assert.equal((await send('127.0.0.2', hubUrl, 'GET', 'hub/api/user', t.token)).status, 200);
    await within(
      1000,
      () => send('127.0.0.2', url, 'GET', STATUS, t.token),
      (r) => r.status === 200,
      'lifted',
    );
  });

  test('not_before in the future: 403 token_not_yet_valid, then it works', async () => {
    const at = new Date(Date.now() + 4000).toISOString();
    const t = await newToken({ not_before: at });
    assert.equal(t.json.not_before, at);
    refusedWith(await send('127.0.0.1', hubUrl, 'GET', 'hub/api/user', t.token), 'token_not_yet_valid');
    // The hub tells the proxy within its next sweep (20 ms). A server asked before that would keep the hub's
    // "no" in its token cache (HubAuth's, 300 s) past not_before: docs/tokens.md says so.
    await sleep(500);
    const early = await within(
      2000,
      () => send('127.0.0.1', url, 'GET', STATUS, t.token),
      (r) => r.json?.reason === 'token_not_yet_valid',
      'early token at the server',
    );
    refusedWith(early, 'token_not_yet_valid');
    await sleep(Math.max(0, Date.parse(at) - Date.now() + 100));
    assert.equal((await send('127.0.0.1', hubUrl, 'GET', 'hub/api/user', t.token)).status, 200);
    assert.equal((await send('127.0.0.1', url, 'GET', STATUS, t.token)).status, 200);
  });

  test('bad bindings are 400 and make no token', async () => {
    const before = (await admin('GET', 'hub/api/users/alice/tokens')).json.api_tokens.length;
    for (const body of [
      { allowed_cidrs: ['10.0.0.0/33'] },
      { allowed_cidrs: ['300.1.2.3/8'] },
      { allowed_cidrs: ['example.org'] },
      { allowed_cidrs: ['::1/129'] },
      { allowed_cidrs: ['10.0.0.0/-1'] },
      { allowed_cidrs: '10.0.0.0/8' },
      { allowed_cidrs: Array.from({ length: 65 }, (_, i) => `10.0.0.${i}`) },
      { not_before: 'tomorrow' },
      { not_before: 12 },
    ]) {
      const r = await admin('POST', 'hub/api/users/alice/tokens', body);
      assert.equal(r.status, 400, `${JSON.stringify(body).slice(0, 80)}: ${r.text}`);
      assert.equal(r.json.reason, 'invalid_request');
    }
    assert.equal((await admin('GET', 'hub/api/users/alice/tokens')).json.api_tokens.length, before);
    const t = await newToken({ allowed_cidrs: ['::1', '10.0.0.0/8'] });
    assert.deepEqual(t.json.allowed_cidrs, ['::1/128', '10.0.0.0/8']);
    const bad = await admin('PATCH', `hub/api/users/alice/tokens/${t.id}`, { allowed_cidrs: ['10.0.0.0/8', 'x'] });
    assert.equal(bad.status, 400);
    assert.match(bad.json.message, /'x' is not an IPv4 or IPv6 CIDR/);
    const unknownKey = await admin('PATCH', `hub/api/users/alice/tokens/${t.id}`, { note: 'x' });
    assert.equal(unknownKey.status, 400);
    assert.equal((await admin('PATCH', 'hub/api/users/alice/tokens/a999999', { not_before: null })).status, 404);
    // alice may bind her own token, not someone else's.
    const own = await admin('PATCH', `hub/api/users/alice/tokens/${t.id}`, { not_before: null });
    assert.equal(own.status, 200);
    const mine = await newToken({});
    const other = await send('127.0.0.1', url, 'PATCH', `hub/api/users/admin/tokens/${t.id}`, mine.token, {});
    assert.equal(other.status, 404, other.text);
    assert.equal(other.json.reason, 'not_found');
  });

  test('a restarted proxy learns the bindings again before it routes to the server', async () => {
    const t = await newToken({ allowed_cidrs: ['127.0.0.1/32'] });
    const free = await newToken({});
    await within(
      2000,
      () => send('127.0.0.2', url, 'GET', STATUS, t.token),
      (r) => r.json?.reason === 'token_ip_not_allowed',
      'bound token',
    );
    const pid = readPid(stateFiles(s.dir).pid);
    assert.ok(pid !== null);
    await killGroup(pid, 2000);
    // The hub notices the dead proxy (every 5 s), starts a new one and feeds it before adding routes.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const r = await send('127.0.0.1', url, 'GET', STATUS, free.token).catch(() => null);
      if (r?.status === 200) break;
      assert.ok(Date.now() < deadline, 'the proxy did not come back with its routes');
      await sleep(200);
    }
    assert.notEqual(readPid(stateFiles(s.dir).pid), pid);
    refusedWith(await send('127.0.0.2', url, 'GET', STATUS, t.token), 'token_ip_not_allowed');
    assert.equal((await send('127.0.0.1', url, 'GET', STATUS, t.token)).status, 200);
  });
});
