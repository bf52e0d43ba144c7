import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { ChpClient, type ProxyApiError } from './chp-client.ts';

const servers: Server[] = [];
after(() => {
  for (const s of servers) s.closeAllConnections();
});

async function fake(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<string> {
  const s = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => handler(req, res, body));
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  s.unref();
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

describe('ChpClient', () => {
  it('sends the token and JSON, and maps routespecs to API paths', async () => {
    const seen: string[] = [];
    const url = await fake((req, res, body) => {
      seen.push(`${req.method} ${req.url} ${req.headers.authorization} ${body}`);
      if (req.method === 'GET') res.end(JSON.stringify({ '/user/a b': { target: 'http://x', jupyterhub: true } }));
      else res.writeHead(req.method === 'POST' ? 201 : 404).end();
    });
    const c = new ChpClient({ apiUrl: `${url}/`, authToken: 'sekrit' });
    assert.deepEqual(await c.getChpRoutes(), { '/user/a b': { target: 'http://x', jupyterhub: true } });
    await c.postRoute('/user/a%20b/', { target: 'http://x' });
    assert.equal(await c.deleteRoute('/'), false);
    assert.deepEqual(seen, [
      'GET /api/routes token sekrit ',
      'POST /api/routes/user/a%20b token sekrit {"target":"http://x"}',
      'DELETE /api/routes/ token sekrit ',
    ]);
    c.close();
  });

  it('names the proxy, request and status in errors, with a hint for 403', async () => {
    const url = await fake((_req, res) => res.writeHead(403).end());
    const c = new ChpClient({ apiUrl: url, authToken: 'wrong' });
    await assert.rejects(c.getChpRoutes(), (err: ProxyApiError) => {
      assert.equal(err.status, 403);
      assert.equal(err.unreachable, false);
      assert.match(err.message, new RegExp(`proxy API at ${url} answered 403 to GET /api/routes \\(wrong token`));
      return true;
    });
    assert.deepEqual(await c.probe(), { state: 'forbidden' });
    c.close();
  });

  it('reports an unreachable proxy and a timeout clearly', async () => {
    const dead = await fake(() => {});
    servers.at(-1)!.close();
    const c = new ChpClient({ apiUrl: dead, authToken: null, timeoutMs: 300 });
    await assert.rejects(c.getChpRoutes(), (err: ProxyApiError) => {
      assert.equal(err.unreachable, true);
      assert.equal(err.code, 'ECONNREFUSED');
      assert.match(err.message, new RegExp(`cannot reach the proxy API at ${dead} \\(GET /api/routes\\)`));
      return true;
    });
    const hung = await fake(() => {});
    const h = new ChpClient({ apiUrl: hung, authToken: null, timeoutMs: 200 });
    await assert.rejects(h.getChpRoutes(), /GET \/api\/routes\): no answer within 200 ms/);
    assert.equal((await h.probe(100)).state, 'unreachable');
    c.close();
    h.close();
  });

  it('retries once when the connection is reset', async () => {
    let n = 0;
    const url = await fake((req, res) => {
      if (n++ === 0) req.socket.destroy();
      else res.end('{}');
    });
    const c = new ChpClient({ apiUrl: url, authToken: 't' });
    assert.deepEqual(await c.getChpRoutes(), {});
    assert.equal(n, 2);
    let m = 0;
    const always = await fake((req) => {
      m++;
      req.socket.destroy();
    });
    const d = new ChpClient({ apiUrl: always, authToken: 't' });
    await assert.rejects(d.getChpRoutes(), /socket hang up/);
    assert.equal(m, 2, 'one retry only');
    c.close();
    d.close();
  });
});
