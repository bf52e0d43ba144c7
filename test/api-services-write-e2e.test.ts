// The proxy route of a service created and removed at runtime (POST and DELETE /hub/api/services/{name}),
// through a real hub and proxy; the rest of those endpoints: api-services-write.test.ts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { startHub, type TestHub } from './harness.ts';

describe('services API: the route of a runtime service', () => {
  let h: TestHub;
  let backend: Server;
  let backendUrl: string;

  before(async () => {
    backend = createServer((req, res) => res.end(JSON.stringify({ path: req.url })));
    await new Promise<void>((ok) => backend.listen(0, '127.0.0.1', ok));
    backendUrl = `http://127.0.0.1:${(backend.address() as { port: number }).port}`;
    h = await startHub();
  });
  after(async () => {
    await h.stop();
    backend.close();
  });

  test('35: POST puts the route in the proxy, reaching the service; DELETE takes it away', async () => {
    const r = await h.request('POST', 'hub/api/services/ext1', { body: { url: backendUrl } });
    assert.equal(r.status, 201, r.text);
    const routes = await h.request('GET', 'hub/api/proxy');
    assert.equal(routes.json['/services/ext1/']?.target, backendUrl);
    const viaProxy = await fetch(new URL('services/ext1/x', h.url));
    assert.deepEqual(await viaProxy.json(), { path: '/services/ext1/x' });

    assert.equal((await h.request('DELETE', 'hub/api/services/ext1')).status, 200);
    const gone = await h.request('GET', 'hub/api/proxy');
    assert.ok(!('/services/ext1/' in gone.json));
  });
});
