// The forwarding engine of `tshub proxy` at the byte level: message framing (chunked, HEAD, 204/304,
// 100-continue, HTTP/1.0, pipelining), the target connection pool (reuse, resend, disposal), and the
// strictness a proxy owes to what is behind it (requests that two parsers could read differently
// are refused). Raw sockets on both sides where node's own client or server would hide the details.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request } from 'node:http';
import { connect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startProxyServer, type ProxyServer } from '../src/proxy/server/index.ts';
import { Cleanup } from './proxy-helpers.ts';

const c = new Cleanup();
after(() => c.cleanup());

async function proxyTo(target: string): Promise<ProxyServer> {
  const p = await startProxyServer({
    ip: '127.0.0.1',
    port: 0,
    apiIp: '127.0.0.1',
    apiPort: 0,
    authToken: 'secret',
    log: c.logger(),
    defaultTarget: target,
  });
  c.onCleanup(() => p.close());
  return p;
}

/** Sends raw bytes; collects what comes back until the proxy closes or `quietMs` pass without data. */
async function raw(port: number, data: string | Buffer, quietMs = 300): Promise<{ text: string; closed: boolean }> {
  const socket = connect(port, '127.0.0.1');
  c.onCleanup(() => socket.destroy());
  let text = '';
  let closed = false;
  let last = Date.now();
  socket.on('data', (d: Buffer) => {
    text += d.toString('latin1');
    last = Date.now();
  });
  socket.on('close', () => (closed = true));
  socket.on('error', () => {});
  socket.write(data);
  while (!closed && Date.now() - last < quietMs) await sleep(20);
  socket.destroy();
  return { text, closed };
}

function statuses(text: string): number[] {
  return [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
}

describe('tshub proxy engine: framing', { timeout: 60_000 }, () => {
  it('forwards chunked request and response bodies', async () => {
    const backend = await c.serve((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        res.write(`te=${req.headers['transfer-encoding']};`);
        setTimeout(() => res.end(`got ${body}`), 20);
      });
    });
    const p = await proxyTo(backend.url);
    const r = await raw(
      p.port,
      'POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n',
    );
    assert.match(r.text, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(r.text, /\r\nTransfer-Encoding: chunked\r\n/i);
    // The chunks pass as they are: two writes from the target, two chunks to the client.
    assert.ok(r.text.endsWith('\r\n\r\nb\r\nte=chunked;\r\nf\r\ngot hello world\r\n0\r\n\r\n'), r.text);
    assert.equal(r.closed, false, 'keep-alive after a chunked exchange');
  });

  it('passes every header line through, the last one of a head too', async () => {
    const backend = await c.serve((req, res) => {
      // A raw head, so that the last line before the blank one is a header the test chose.
      res.socket!.write(
        `HTTP/1.1 200 OK\r\nContent-Length: ${JSON.stringify(req.rawHeaders).length}\r\nX-Res-Last: z\r\n\r\n${JSON.stringify(req.rawHeaders)}`,
      );
      res.socket!.destroySoon();
    });
    const p = await proxyTo(backend.url);
    const r = await raw(p.port, 'GET / HTTP/1.1\r\nHost: x\r\nCookie: a="1|2"\r\nX-Req-Last: y\r\n\r\n');
    assert.match(r.text, /\r\nX-Res-Last: z\r\n/);
    const seen = JSON.parse(r.text.slice(r.text.indexOf('\r\n\r\n') + 4)) as string[];
    assert.deepEqual(seen.slice(0, 6), ['Host', 'x', 'Cookie', 'a="1|2"', 'X-Req-Last', 'y']);
    assert.deepEqual(seen.slice(6, 8), ['X-Forwarded-For', '127.0.0.1']);
  });

  it('HEAD, 204 and 304 answers have no body, and the connection goes on', async () => {
    const backend = await c.serve((req, res) => {
      if (req.url === '/204') return void res.writeHead(204).end();
      if (req.url === '/304') return void res.writeHead(304, { etag: '"x"' }).end();
      res.setHeader('content-length', '5');
      res.end(req.method === 'HEAD' ? undefined : 'hello');
    });
    const p = await proxyTo(backend.url);
    const r = await raw(
      p.port,
      'HEAD /a HTTP/1.1\r\nHost: x\r\n\r\nGET /204 HTTP/1.1\r\nHost: x\r\n\r\nGET /304 HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n',
    );
    assert.deepEqual(statuses(r.text), [200, 204, 304, 200]);
    assert.match(
      r.text,
      /^HTTP\/1\.1 200 OK\r\n[\s\S]*content-length: 5\r\n(keep-alive: timeout=5\r\n)?\r\nHTTP\/1\.1 204/i,
      'HEAD keeps its Content-Length, without a body',
    );
    assert.ok(r.text.endsWith('\r\n\r\nhello'));
    assert.equal(backend.connections(), 1);
    // The proxy's own answers too: a HEAD for no route gets the 404 head, and the connection goes on.
    p.routes.remove('/');
    const own = await raw(p.port, 'HEAD /gone HTTP/1.1\r\nHost: x\r\n\r\nHEAD /gone HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.deepEqual(statuses(own.text), [404, 404]);
    assert.ok(own.text.endsWith('\r\n\r\n') && !own.text.includes('<html'), own.text);
  });

  it('relays 100 Continue before the body is sent', async () => {
    const backend = await c.serve((req, res) => {
      let n = 0;
      req.on('data', (d: Buffer) => (n += d.length));
      req.on('end', () => res.end(`got ${n}`));
    });
    const p = await proxyTo(backend.url);
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: p.port,
          method: 'PUT',
          path: '/f',
          agent: false,
          headers: { expect: '100-continue', 'content-length': '4' },
        },
        (res) => {
          let b = '';
          res.on('data', (d) => (b += d));
          res.on('end', () => resolve(b));
        },
      );
      req.on('error', reject);
      // Nothing is sent before the proxy relays the target's go-ahead.
      req.on('continue', () => req.end('data'));
    });
    assert.equal(body, 'got 4');
  });

  it('answers pipelined requests one at a time, in order', async () => {
    const backend = await c.serve((req, res) => {
      // The first answer is the slowest: order must come from the proxy, not from timing.
      setTimeout(() => res.end(`<${req.url}>`), req.url === '/1' ? 100 : 0);
    });
    const p = await proxyTo(backend.url);
    const one = (i: number) => `GET /${i} HTTP/1.1\r\nHost: x\r\n\r\n`;
    const r = await raw(p.port, one(1) + one(2) + one(3));
    assert.deepEqual(
      [...r.text.matchAll(/<\/(\d)>/g)].map((m) => m[1]),
      ['1', '2', '3'],
    );
  });

  it('HTTP/1.0: closes after the answer unless keep-alive is asked for', async () => {
    const backend = await c.serve((req, res) => {
      // A length lets node keep an HTTP/1.0 connection open, when the client asked for that.
      if (req.url === '/b') res.setHeader('content-length', 4);
      res.end(`v${req.httpVersion}`);
    });
    const p = await proxyTo(backend.url);
    const plain = await raw(p.port, 'GET /a HTTP/1.0\r\n\r\n', 2000);
    assert.match(plain.text, /^HTTP\/1\.1 200 OK\r\n/);
    assert.ok(plain.text.endsWith('v1.0'));
    assert.equal(plain.closed, true);
    assert.doesNotMatch(plain.text, /transfer-encoding/i);
    const kept = await raw(
      p.port,
      'GET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n',
    );
    assert.deepEqual(statuses(kept.text), [200, 200]);
    assert.match(kept.text, /\r\nConnection: keep-alive\r\n/);
    assert.equal(kept.closed, false);
  });

  it('Connection: close closes the client connection, not the pooled one', async () => {
    const backend = await c.serve((_req, res) => res.end('ok'));
    const p = await proxyTo(backend.url);
    for (let i = 0; i < 2; i++) {
      const r = await raw(
        p.port,
        'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /never HTTP/1.1\r\nHost: x\r\n\r\n',
        2000,
      );
      assert.deepEqual(statuses(r.text), [200]);
      assert.match(r.text, /\r\nConnection: close\r\n/);
      assert.equal(r.closed, true);
    }
    assert.equal(backend.connections(), 1);
  });

  it('a target that does not read an upload holds the client back, and then takes it all', async () => {
    const reading = Promise.withResolvers<void>();
    let received = 0;
    const backend = await c.serve((req, res) => {
      req.pause();
      void reading.promise.then(() => {
        req.on('data', (d: Buffer) => (received += d.length));
        req.on('end', () => res.end(String(received)));
        req.resume();
      });
    });
    const p = await proxyTo(backend.url);
    const total = 256 * 1024 * 1024;
    const socket = connect(p.port, '127.0.0.1');
    c.onCleanup(() => socket.destroy());
    socket.write(`POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: ${total}\r\n\r\n`);
    let written = 0;
    const chunk = Buffer.alloc(64 * 1024, 1);
    const pump = () => {
      while (written < total) {
        written += chunk.length;
        if (!socket.write(chunk)) return void socket.once('drain', pump);
      }
    };
    pump();
    await sleep(1500);
    const stalled = written;
    await sleep(500);
    assert.equal(written, stalled, 'the client is held back');
    assert.ok(stalled < 48 * 1024 * 1024, `${stalled} bytes taken while the target read nothing`);
    reading.resolve();
    const [answer] = (await once(socket, 'data')) as [Buffer];
    assert.ok(answer.toString().endsWith(`\r\n\r\n${total}`), answer.toString());
  });

  it('a client cut off mid-response gets its target connection destroyed, not pooled', async () => {
    const closed = Promise.withResolvers<void>();
    const backend = await c.serve((_req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('x');
      res.on('close', () => closed.resolve());
    });
    const p = await proxyTo(backend.url);
    const socket = connect(p.port, '127.0.0.1');
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await once(socket, 'data');
    socket.destroy();
    await closed.promise;
    assert.equal((await raw(p.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n')).text.split('\r\n')[0], 'HTTP/1.1 200 OK');
    assert.equal(backend.connections(), 2, 'the half-answered connection was not reused');
  });
});

describe('tshub proxy engine: target connections', { timeout: 30_000 }, () => {
  it('resends a GET once when the pooled connection turns out closed, never a POST', async () => {
    // A target that answers the first request on each connection and silently drops the second,
    // as a target closing an idle connection just as the proxy reuses it.
    let connections = 0;
    const server = createNetServer((s: Socket) => {
      connections++;
      let served = 0;
      s.on('data', (d: Buffer) => {
        if (!d.includes('\r\n\r\n')) return;
        if (served++ === 0) s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
        else s.destroy();
      });
      s.on('error', () => {});
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    c.onCleanup(() => server.close());
    const p = await proxyTo(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    const get = await raw(p.port, 'GET /1 HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.deepEqual(statuses(get.text), [200]);
    const again = await raw(p.port, 'GET /2 HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.deepEqual(statuses(again.text), [200], 'resent on a fresh connection');
    assert.equal(connections, 2);
    const post = await raw(p.port, 'POST /3 HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx');
    assert.deepEqual(statuses(post.text), [503], 'a request with a body is not sent twice');
  });

  it('routes among many routes by the longest prefix', async () => {
    const backend = await c.serve((req, res) => res.end(`${req.headers['x-route']} ${req.url}`));
    const target = (name: string) => `${backend.url}/${name}`;
    const p = await proxyTo(target('root'));
    const { parseTarget } = await import('../src/proxy/server/index.ts');
    for (let i = 0; i < 500; i++) {
      p.routes.add(`/user/u${i}`, { target: target(`u${i}`) }, parseTarget(target(`u${i}`)));
      if (i % 50 === 0)
        p.routes.add(`/user/u${i}/lab/x`, { target: target(`lab${i}`) }, parseTarget(target(`lab${i}`)));
    }
    const at = async (path: string) =>
      (await raw(p.port, `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`)).text.split('\r\n\r\n')[1];
    assert.equal(await at('/user/u7/tree'), 'undefined /u7/user/u7/tree');
    assert.equal(await at('/user/u50/lab/x/y'), 'undefined /lab50/user/u50/lab/x/y');
    assert.equal(await at('/user/u51/lab/x/y'), 'undefined /u51/user/u51/lab/x/y');
    assert.equal(await at('/user/u5000/'), 'undefined /root/user/u5000/');
  });
});

describe('tshub proxy engine: strictness', { timeout: 30_000 }, () => {
  it('refuses ambiguous or malformed requests with 400 and closes, before the target sees them', async () => {
    let seen = 0;
    const backend = await c.serve((_req, res) => {
      seen++;
      res.end('ok');
    });
    const p = await proxyTo(backend.url);
    const bad: [string, string][] = [
      [
        'Content-Length with Transfer-Encoding',
        'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      ],
      ['differing Content-Lengths', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd'],
      ['a list of differing Content-Lengths', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 4\r\n\r\nabcd'],
      ['a Content-Length that is not a number', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\nabc'],
      [
        'a Transfer-Encoding other than chunked',
        'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n',
      ],
      ['obs-fold', 'GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  folded\r\n\r\n'],
      ['a NUL in a header value', 'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n'],
      ['a bare LF in a header', 'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\nX-B: b\r\n\r\n'],
      ['a space before the colon', 'GET / HTTP/1.1\r\nHost: x\r\nX-A : 1\r\n\r\n'],
      ['a bad request line', 'GET  / HTTP/1.1\r\nHost: x\r\n\r\n'],
      ['HTTP/0.9', 'GET /\r\n\r\n'],
      ['HTTP/2.0', 'GET / HTTP/2.0\r\nHost: x\r\n\r\n'],
      ['no Host in HTTP/1.1', 'GET / HTTP/1.1\r\n\r\n'],
      ['two Hosts', 'GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n'],
      ['bad chunk framing', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
    ];
    for (const [what, bytes] of bad) {
      const r = await raw(p.port, bytes, 2000);
      if (what === 'bad chunk framing') {
        // The head was fine, so the request went on its way; the framing error cuts both connections.
        assert.equal(r.closed, true, what);
        continue;
      }
      assert.match(r.text, /^HTTP\/1\.1 400 Bad Request\r\n/, what);
      assert.equal(r.closed, true, what);
    }
    assert.equal(seen, 0);
  });

  it('answers 431 to a head over 16 KB', async () => {
    const backend = await c.serve((_req, res) => res.end('ok'));
    const p = await proxyTo(backend.url);
    const r = await raw(p.port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(17 * 1024)}\r\n\r\n`, 2000);
    assert.match(r.text, /^HTTP\/1\.1 431 /);
    assert.equal(r.closed, true);
    const ok = await raw(p.port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(15 * 1024)}\r\n\r\n`);
    assert.deepEqual(statuses(ok.text), [200]);
  });
});
