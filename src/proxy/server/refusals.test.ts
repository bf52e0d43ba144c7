import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { digestToken, generateToken } from '../../tokens/format.ts';
import { startProxyServer, type ProxyServer } from './index.ts';
import { RefusedTokens } from './refused-tokens.ts';
import { requestTokens, signedCookiePayload } from './request-tokens.ts';

const log = pino({ level: 'silent' });
const soon = (ms: number) => new Date(Date.now() + ms).toISOString();

/** A tornado v2 signed value (the signature is not checked by the proxy, so any hex does). */
function signed(name: string, payload: string): string {
  const b64 = Buffer.from(payload).toString('base64');
  const ts = '1700000000';
  return `2|1:0|${ts.length}:${ts}|${name.length}:${name}|${b64.length}:${b64}|${'0f'.repeat(32)}`;
}

describe('RefusedTokens', () => {
  it('refuses a digest with its reason until its time, and keeps the later time of two', () => {
    const set = new RefusedTokens();
    const t = generateToken();
    const now = Date.now();
    set.add([{ digest: digestToken(t), reason: 'token_revoked', forgetAfter: now + 1000 }], now);
    assert.equal(set.reasonOf(digestToken(t), now), 'token_revoked');
    assert.equal(set.reasonOf(digestToken(generateToken()), now), null);
    assert.equal(set.reasonOf(digestToken(t), now + 1000), null);
    set.add([{ digest: digestToken(t), reason: 'token_rotated', forgetAfter: now + 500 }], now);
    assert.equal(set.reasonOf(digestToken(t), now + 900), 'token_revoked');
    set.add([{ digest: digestToken(generateToken()), reason: 'token_revoked', forgetAfter: now - 1 }], now);
    assert.equal(set.size, 1, 'an entry already past its time is not kept');
  });

  it('stays within its bound, dropping the entries closest to their time', () => {
    const set = new RefusedTokens(3);
    const now = Date.now();
    const d = Array.from({ length: 5 }, () => digestToken(generateToken()));
    set.add(
      d.map((digest, i) => ({ digest, reason: 'token_revoked', forgetAfter: now + 1000 * (i + 1) })),
      now,
    );
    assert.equal(set.size, 3);
    assert.equal(set.reasonOf(d[0]!, now), null);
    assert.equal(set.reasonOf(d[4]!, now), 'token_revoked');
    set.prune(now + 4500);
    assert.equal(set.size, 1);
  });
});

describe('requestTokens', () => {
  const t = generateToken();
  const none = { url: '/', authorization: '', cookie: '' };

  it('finds a token in Authorization (token or Bearer), ?token= and the server login cookie', () => {
    assert.deepEqual(requestTokens({ ...none, authorization: `token ${t}` }), [t]);
    assert.deepEqual(requestTokens({ ...none, authorization: `Bearer ${t}` }), [t]);
    assert.deepEqual(requestTokens({ ...none, url: `/user/a/api/status?x=1&token=${t}` }), [t]);
    for (const name of [
      'jupyterhub-user-alice',
      'jupyterhub-user-alice-lab',
      '__Host-jupyterhub-user-a',
      'service-cull',
    ])
      assert.deepEqual(requestTokens({ ...none, cookie: `other=1; ${name}="${signed(name, t)}"` }), [t], name);
    // Version 1 signed values: base64|timestamp|signature.
    const v1 = `${Buffer.from(t).toString('base64')}|1700000000|${'ab'.repeat(20)}`;
    assert.deepEqual(requestTokens({ ...none, cookie: `jupyterhub-user-alice=${v1}` }), [t]);
  });

  it('ignores other cookies, forged or broken values, and strings that are not generated tokens', () => {
    assert.deepEqual(requestTokens({ ...none, cookie: `jupyterhub-hub-login=${signed('x', t)}` }), []);
    assert.deepEqual(requestTokens({ ...none, cookie: `jupyterhub-user-a=${signed('a', 'random junk bytes')}` }), []);
    for (const value of ['2|9999', '2|1:0|10:1700000000|', '%%%', '2|1:0|3:abc|1:a|999:x|sig', 'a|b', ''])
      assert.deepEqual(requestTokens({ ...none, cookie: `jupyterhub-user-a=${value}` }), [], value);
    assert.deepEqual(requestTokens({ ...none, authorization: `token ${t.slice(0, -1)}x` }), []);
    assert.deepEqual(requestTokens({ ...none, authorization: 'Basic YWxhZGRpbjpvcGVuc2VzYW1l' }), []);
    assert.deepEqual(requestTokens({ ...none, url: '/?token=%zz' }), []);
    assert.equal(signedCookiePayload('2|1:0|-1:x|'), null);
  });
});

describe('tshub proxy /api/refusals', () => {
  let proxy: ProxyServer;
  let target: Server;
  const revoked = generateToken();
  const live = generateToken();
  const api = (method: string, body?: unknown, token: string | null = 'secret') =>
    fetch(`http://127.0.0.1:${proxy.apiPort}/api/refusals`, {
      method,
      headers: token ? { authorization: `token ${token}` } : {},
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
  const entry = (digest: string, reason = 'token_revoked') => ({ digest, reason, forget_after: soon(60_000) });

  before(async () => {
    target = createServer((_req, res) => res.end('from the target'));
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    const where = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
    proxy = await startProxyServer({
      ip: '127.0.0.1',
      port: 0,
      apiIp: '127.0.0.1',
      apiPort: 0,
      authToken: 'secret',
      defaultTarget: where,
      log,
    });
  });
  after(async () => {
    await proxy.close();
    target.close();
  });

  it('is authenticated like the routes API, and checks its body', async () => {
    assert.equal((await api('GET', undefined, null)).status, 403);
    assert.equal((await api('POST', { refusals: [] }, 'wrong')).status, 403);
    const bad = [
      'not json',
      {},
      { refusals: 'x' },
      { refusals: [entry('sha256:abc')] },
      { refusals: [entry(digestToken(live), 'revoked')] },
      { refusals: [{ ...entry(digestToken(live)), forget_after: 'tomorrow' }] },
      { refusals: [{ ...entry(digestToken(live)), token: live }] },
      { refusals: Array.from({ length: 4001 }, () => entry(digestToken(live))) },
    ];
    for (const body of bad) {
      const r = await api('POST', body);
      assert.equal(r.status, 400, JSON.stringify(body).slice(0, 100));
      const j = (await r.json()) as { status: number; message: string; reason: string };
      assert.equal(j.status, 400);
      assert.equal(j.reason, 'invalid_request');
      assert.ok(j.message);
    }
    assert.equal((await api('PUT', {})).status, 405);
    assert.equal(proxy.refused.size, 0);
  });

  it('refuses requests carrying a pushed token with 403 JSON, and forwards the rest', async () => {
    const r = await api('POST', { refusals: [entry(digestToken(revoked))] });
    assert.equal(r.status, 200);
    const state = (await r.json()) as { instance: string; size: number };
    assert.equal(state.size, 1);
    assert.equal(state.instance, proxy.refused.instance);
    const get = await api('GET');
    assert.deepEqual(await get.json(), { instance: proxy.refused.instance, size: 1, max: 200_000 });

    const pub = (headers: Record<string, string>, path = '/user/a/api/status') =>
      fetch(`http://127.0.0.1:${proxy.port}${path}`, { headers });
    const no = await pub({ authorization: `token ${revoked}` });
    assert.equal(no.status, 403);
    assert.deepEqual(await no.json(), {
      status: 403,
      message: 'Missing or invalid credentials.',
      reason: 'token_revoked',
    });
    assert.equal((await pub({}, `/x?token=${revoked}`)).status, 403);
    const cookie = `jupyterhub-user-a=${signed('jupyterhub-user-a', revoked)}`;
    assert.equal((await pub({ cookie })).status, 403);
    const ok = await pub({ authorization: `token ${live}` });
    assert.equal(ok.status, 200);
    assert.equal(await ok.text(), 'from the target');
    assert.equal((await pub({ cookie: `jupyterhub-user-a=${signed('x', 'junk')}` })).status, 200);
  });
});
