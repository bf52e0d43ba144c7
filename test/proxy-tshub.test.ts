// `tshub proxy` end to end: first the cases shared with configurable-http-proxy (proxy-suite.ts).
// Below: what only `tshub proxy` is tested for: the REST API answered exactly as CHP answers it
// (same requests sent to both), and the forwarding details (prefixes, headers, pooling, streaming,
// errors, backpressure), on an in-process server; then a real hub and single-user server behind it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { request, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { ChpClient, chpCommand } from '../src/proxy/index.ts';
import { isAlive } from '../src/lib/process.ts';
import { readPid } from '../src/proxy/state-files.ts';
import { startProxyServer, type ProxyServer } from '../src/proxy/server/index.ts';
import { startHub } from './harness.ts';
import { freePort } from './process.ts';
import { Cleanup, get, openWebSocket, startBackend } from './proxy-helpers.ts';
import { proxySuite } from './proxy-suite.ts';

proxySuite('tshub');

const c = new Cleanup();
after(() => c.cleanup());

async function inProcess(
  opts: { defaultTarget?: string; errorTarget?: string; proxyTimeoutMs?: number } = {},
): Promise<ProxyServer & { api: ChpClient }> {
  const p = await startProxyServer({
    ip: '127.0.0.1',
    port: 0,
    apiIp: '127.0.0.1',
    apiPort: 0,
    authToken: 'secret',
    log: c.logger(),
    ...opts,
  });
  const api = new ChpClient({ apiUrl: `http://127.0.0.1:${p.apiPort}`, authToken: 'secret' });
  c.onCleanup(async () => {
    api.close();
    await p.close();
  });
  return Object.assign(p, { api });
}

interface Answer {
  status: number;
  type: string | null;
  body: string;
}

function call(
  port: number,
  method: string,
  path: string,
  opts: { token?: string | null; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    const token = opts.token === undefined ? 'secret' : opts.token;
    if (token !== null) headers.authorization = `token ${token}`;
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      // Timestamps differ between the two proxies by nature; everything else must not.
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          type: res.headers['content-type'] ?? null,
          body: body.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '<time>'),
        }),
      );
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('tshub proxy: REST API as configurable-http-proxy answers it', { timeout: 30_000 }, () => {
  let chpApi: number;
  before(async () => {
    const [bind, api] = [await freePort(), await freePort()];
    const proc = spawn(
      chpCommand()[0]!,
      [
        ...chpCommand().slice(1),
        '--ip',
        '127.0.0.1',
        '--port',
        String(bind),
        '--api-ip',
        '127.0.0.1',
        '--api-port',
        String(api),
      ],
      {
        detached: true,
        stdio: 'ignore',
        env: { ...process.env, CONFIGPROXY_AUTH_TOKEN: 'secret' },
      },
    );
    c.pid(proc.pid);
    const probe = new ChpClient({ apiUrl: `http://127.0.0.1:${api}`, authToken: 'secret' });
    for (let i = 0; i < 100 && (await probe.probe(500)).state !== 'ok'; i++) await sleep(100);
    probe.close();
    chpApi = api;
  });

  it('gives the same status, content type and body for the same requests', async () => {
    const ours = await inProcess();
    const future = new Date(Date.now() + 3600_000).toISOString();
    const steps: [string, string, { token?: string | null; body?: string }?][] = [
      ['GET', '/api/routes', { token: null }],
      ['GET', '/api/routes', { token: 'wrong' }],
      ['POST', '/api/routes/user/alice', { token: null, body: '{"target": "http://127.0.0.1:9"}' }],
      ['POST', '/api/routes/user/alice', { token: null, body: '{not json' }],
      ['POST', '/api/routes/user/alice', { body: '' }],
      ['POST', '/api/routes/user/alice', { body: '{"user": "alice"}' }],
      ['POST', '/api/routes/user/alice', { body: '[1]' }],
      [
        'POST',
        '/api/routes/user/alice/',
        { body: '{"target": "http://127.0.0.1:9", "user": "alice", "n": [1, {"x": null}]}' },
      ],
      ['POST', '/api/routes/user/a%20b', { body: '{"target": "http://127.0.0.1:9/base/", "jupyterhub": true}' }],
      ['POST', '/api/routes', { body: '{"target": "http://127.0.0.1:8"}' }],
      ['GET', '/api/routes'],
      ['GET', '/api/routes/'],
      ['GET', '/api/routes/user/alice'],
      ['GET', '/api/routes/user/alice/'],
      ['GET', '/api/routes/user/a%20b'],
      ['GET', '/api/routes/user/nobody'],
      ['GET', '/api/routes?inactive_since=yesterday'],
      ['GET', `/api/routes?inactive_since=${future}`],
      ['GET', `/api/routes?inactiveSince=${future}`],
      ['GET', '/api/routes?inactive_since=2000-01-01T00:00:00Z'],
      ['PUT', '/api/routes/user/alice'],
      ['GET', '/api/other'],
      ['GET', '/'],
      ['DELETE', '/api/routes/user/alice', { token: null }],
      ['DELETE', '/api/routes/user/alice/'],
      ['DELETE', '/api/routes/user/alice'],
      ['DELETE', '/api/routes/user/a%20b'],
      ['GET', '/api/routes'],
    ];
    for (const [method, path, opts] of steps) {
      const [theirs, mine] = [await call(chpApi, method, path, opts), await call(ours.apiPort, method, path, opts)];
      assert.deepEqual(mine, theirs, `${method} ${path} ${JSON.stringify(opts ?? {})}`);
    }
  });
});

describe('tshub proxy: forwarding', { timeout: 60_000 }, () => {
  it('routes by the longest whole-segment prefix and passes the target path and X-Forwarded-*', async () => {
    const echo = (name: string) =>
      c.serve((req, res) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ name, url: req.url, headers: req.headers }));
      });
    const [root, alice, lab] = [await echo('root'), await echo('alice'), await echo('lab')];
    const p = await inProcess({ defaultTarget: root.url });
    await p.api.postRoute('/user/alice/', { target: alice.url });
    await p.api.postRoute('/user/alice/lab/', { target: `${lab.url}/prefix/` });
    const at = async (path: string) =>
      JSON.parse((await get(p.port, path)).body) as { name: string; url: string; headers: Record<string, string> };
    assert.equal((await at('/user/alice')).name, 'alice');
    assert.equal((await at('/user/alice/tree/x?y=1')).name, 'alice');
    assert.equal((await at('/user/alicex/')).name, 'root', 'prefixes match whole segments');
    assert.equal((await at('/user/alice/lab')).url, '/prefix/user/alice/lab', 'the target path is prepended');
    assert.equal((await at('/user/alice/la')).name, 'alice');
    assert.equal((await at('/user/%61lice/x')).name, 'alice', 'routing sees the decoded path');
    const { headers } = await at('/user/alice/h');
    assert.equal(headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(headers['x-forwarded-proto'], 'http');
    assert.equal(headers['x-forwarded-port'], String(p.port));
    assert.equal(headers['x-forwarded-host'], `127.0.0.1:${p.port}`);
    assert.equal(headers.host, `127.0.0.1:${p.port}`, 'the Host header is kept (no change-origin)');
    await p.api.deleteRoute('/user/alice/');
    assert.equal((await at('/user/alice/lab/z')).name, 'lab', 'removing a parent keeps its children');
    assert.equal((await at('/user/alice/z')).name, 'root');
  });

  it('keeps connections to a target alive and reuses them', async () => {
    const backend = await c.serve((_req, res) => res.end('ok'));
    const p = await inProcess({ defaultTarget: backend.url });
    for (let i = 0; i < 20; i++) assert.equal((await get(p.port, `/${i}`)).body, 'ok');
    assert.equal(backend.connections(), 1, 'sequential requests share one pooled connection');
    await Promise.all(Array.from({ length: 10 }, (_, i) => get(p.port, `/c${i}`)));
    assert.ok(backend.connections() <= 11, `${backend.connections()} connections`);
  });

  it('streams bodies both ways without waiting for them to end', async () => {
    let uploaded = 0;
    const firstChunk = Promise.withResolvers<void>();
    let release = () => {};
    const backend = await c.serve((req, res) => {
      if (req.method === 'POST') {
        req.on('data', (d: Buffer) => {
          uploaded += d.length;
          firstChunk.resolve();
        });
        req.on('end', () => res.end(String(uploaded)));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first;');
      release = () => res.end('last');
    });
    const p = await inProcess({ defaultTarget: backend.url });
    // Upload: the target sees the first chunk while the client is still sending.
    const answer = new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: p.port, method: 'POST', path: '/up', agent: false }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve(body));
      });
      req.on('error', reject);
      req.write(Buffer.alloc(1000, 1));
      void firstChunk.promise.then(() => {
        for (let i = 0; i < 100; i++) req.write(Buffer.alloc(100_000, 2));
        req.end();
      });
    });
    assert.equal(await answer, String(1000 + 100 * 100_000));
    // Download: the client sees the first chunk while the target is still sending.
    const res = await new Promise<IncomingMessage>((resolve) =>
      request({ host: '127.0.0.1', port: p.port, path: '/down', agent: false }, resolve).end(),
    );
    const [chunk] = (await once(res, 'data')) as [Buffer];
    assert.equal(chunk.toString(), 'first;');
    release();
    let rest = '';
    for await (const d of res) rest += d;
    assert.equal(rest, 'last');
  });

  it('answers 503 (HTML, or JSON when asked) for a target that is down, or the error target page', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const p = await inProcess();
    await p.api.postRoute('/user/gone/', { target: dead });
    const html = await get(p.port, '/user/gone/tree');
    assert.equal(html.status, 503);
    assert.match(html.body, /<h1>503 Service Unavailable<\/h1>/);
    const json = await fetch(`http://127.0.0.1:${p.port}/user/gone/api/status`, {
      headers: { accept: 'application/json' },
    });
    assert.equal(json.status, 503);
    assert.deepEqual(await json.json(), {
      status: 503,
      message: 'The server at this address is not responding. It may be starting or stopping; try again shortly.',
    });
    assert.equal((await get(p.port, '/nowhere')).status, 404, 'no route and no default target');

    const seen: string[] = [];
    const errors = await c.serve((req, res) => {
      seen.push(req.url!);
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`hub error page ${req.url}`);
    });
    const q = await inProcess({ errorTarget: `${errors.url}/hub/error` });
    await q.api.postRoute('/user/gone/', { target: dead });
    const page = await get(q.port, '/user/gone/tree?a=1');
    assert.deepEqual(page, {
      status: 503,
      body: 'hub error page /hub/error/503?url=%2Fuser%2Fgone%2Ftree%3Fa%3D1',
      reused: false,
    });
    assert.equal((await get(q.port, '/x')).status, 404);
    assert.deepEqual(seen, ['/hub/error/503?url=%2Fuser%2Fgone%2Ftree%3Fa%3D1', '/hub/error/404?url=%2Fx']);

    // WebSocket to a dead target: an empty 503 and the connection closed.
    const ws = await openWebSocket(q.port, '/user/gone/ws').then(
      () => 'opened',
      (e: Error) => e.message,
    );
    assert.match(ws, /websocket handshake failed:\nHTTP\/1.1 503/);
  });

  it('gives up on a target that does not answer within --proxy-timeout', async () => {
    const silent = await c.serve(() => {});
    const p = await inProcess({ defaultTarget: silent.url, proxyTimeoutMs: 300 });
    const started = Date.now();
    assert.equal((await get(p.port, '/slow')).status, 503);
    assert.ok(Date.now() - started < 5000);
  });

  it('a slow client pauses the target instead of filling the proxy memory', async () => {
    const total = 256 * 1024 * 1024;
    let sent = 0;
    const backend = await c.serve((_req, res) => {
      res.writeHead(200, { 'content-length': String(total) });
      const chunk = Buffer.alloc(64 * 1024, 7);
      const pump = () => {
        while (sent < total) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    const p = await inProcess({ defaultTarget: backend.url });
    const socket = connect(p.port, '127.0.0.1');
    c.onCleanup(() => socket.destroy());
    socket.write('GET /big HTTP/1.1\r\nHost: x\r\n\r\n');
    const [head] = (await once(socket, 'data')) as [Buffer];
    socket.pause(); // a client that stops reading
    let received = head.length - head.indexOf('\r\n\r\n') - 4;
    await sleep(1500);
    const stalled = sent;
    await sleep(500);
    assert.equal(sent, stalled, 'the target is held back');
    // Only socket buffers (kernel and stream high-water marks) are in flight, not the whole body.
    assert.ok(stalled < 48 * 1024 * 1024, `${stalled} bytes sent while the client read nothing`);
    socket.on('data', (d: Buffer) => (received += d.length));
    socket.resume();
    for (let i = 0; i < 400 && received < total; i++) await sleep(50);
    assert.ok(received >= total, `the whole body arrives once the client reads (${received})`);
  });

  it('updates last_activity on traffic, both HTTP and WebSocket', async () => {
    const backend = await startBackend('alice');
    // The backend keeps a half-closed WebSocket open, which server.close() would wait for.
    const sockets: Duplex[] = [];
    backend.server.on('upgrade', (_req, socket: Duplex) => sockets.push(socket));
    c.onCleanup(() => {
      for (const s of sockets) s.destroy();
      return backend.close();
    });
    const p = await inProcess();
    await p.api.postRoute('/user/alice/', { target: backend.url });
    const activity = async () => Date.parse(String((await p.api.getChpRoutes())['/user/alice']!.last_activity));
    const t0 = await activity();
    await sleep(20);
    await get(p.port, '/user/alice/x');
    const t1 = await activity();
    assert.ok(t1 > t0);
    const ws = await openWebSocket(p.port, '/user/alice/ws');
    await sleep(20);
    await ws.send('hi');
    ws.close();
    assert.ok((await activity()) > t1);
    const cutoff = new Date(Date.now() + 1000).toISOString();
    const inactive = await fetch(`http://127.0.0.1:${p.apiPort}/api/routes?inactive_since=${cutoff}`, {
      headers: { authorization: 'token secret' },
    });
    assert.deepEqual(Object.keys((await inactive.json()) as Record<string, unknown>), ['/user/alice']);
  });
});

describe('tshub proxy in front of a real hub and single-user server', { timeout: 120_000 }, () => {
  it('the hub launches it with proxy.class: tshub and users reach their server through it', async () => {
    const h = await startHub({ slow_spawn_timeout: 0, proxy: { class: 'tshub' }, spawner: { poll_interval: 1 } });
    let pid: number | null = null;
    try {
      pid = readPid(`${h.dir}/tshub-proxy.pid`) ?? readPid(`${h.dir}/state/tshub-proxy.pid`);
      await h.addUsers(['alice']);
      const token = await h.tokenFor('alice');
      assert.equal((await h.request('POST', 'hub/api/users/alice/server', { token })).status, 202);
      for (let i = 0; i < 300; i++) {
        const m = await h.request('GET', 'hub/api/users/alice', { token });
        if (m.json.servers?.['']?.ready) break;
        await sleep(200);
      }
      const status = await h.request('GET', 'user/alice/api/status', { token });
      assert.equal(status.status, 200, status.text);
      assert.ok('started' in status.json, status.text);
      assert.equal((await h.request('GET', 'hub/api/proxy')).status, 200);
      assert.equal((await h.request('DELETE', 'hub/api/users/alice/server', { token })).status, 204);
    } finally {
      await h.stop();
      if (pid !== null) c.pid(pid);
    }
    if (pid !== null) assert.ok(!isAlive(pid), 'the hub stopped its proxy (no servers left)');
  });
});
