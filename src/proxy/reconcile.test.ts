import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { hubRoute, reconcileRoutes } from './reconcile.ts';
import type { RoutingProxy, ProxyRoute } from './types.ts';

const log = pino({ level: 'silent' });

/** An in-memory proxy holding hub-managed routes only (what getRoutes reports). */
function fakeProxy(initial: Record<string, Omit<ProxyRoute, 'routespec'>> = {}) {
  const routes = new Map<string, ProxyRoute>(Object.entries(initial).map(([k, v]) => [k, { routespec: k, ...v }]));
  const calls: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const track = async <T>(what: string, fn: () => T): Promise<T> => {
    calls.push(what);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((r) => setTimeout(r, 2));
    inFlight--;
    return fn();
  };
  const proxy: RoutingProxy = {
    async start() {},
    async stop() {},
    addRoute: (spec, target, data) =>
      track(
        `add ${spec}`,
        () => void routes.set(spec, { routespec: spec, target, data: { ...data, last_activity: 'now' } }),
      ),
    deleteRoute: (spec) => track(`delete ${spec}`, () => void routes.delete(spec)),
    async getRoutes() {
      return Object.fromEntries([...routes].map(([k, v]) => [k, structuredClone(v)]));
    },
  };
  return { proxy, routes, calls, maxInFlight: () => maxInFlight };
}

describe('reconcileRoutes', () => {
  it('adds missing routes, fixes wrong targets and data, removes stale ones', async () => {
    const f = fakeProxy({
      '/user/alice/': { target: 'http://127.0.0.1:1', data: { user: 'alice', server_name: '', last_activity: 'x' } },
      '/user/bob/': { target: 'http://127.0.0.1:2', data: { user: 'bob', server_name: '' } },
      '/user/gone/': { target: 'http://127.0.0.1:3', data: { user: 'gone', server_name: '' } },
      '/user/carol/': { target: 'http://127.0.0.1:4', data: { user: 'someone-else', server_name: '' } },
    });
    const result = await reconcileRoutes(
      f.proxy,
      {
        ...hubRoute('http://127.0.0.1:8081/'),
        '/user/alice/': { target: 'http://127.0.0.1:1', data: { user: 'alice', server_name: '' } },
        '/user/bob/': { target: 'http://127.0.0.1:22', data: { user: 'bob', server_name: '' } },
        '/user/carol/': { target: 'http://127.0.0.1:4', data: { user: 'carol', server_name: '' } },
        '/user/dave': { target: 'http://127.0.0.1:5', data: { user: 'dave', server_name: '' } },
      },
      log,
    );
    assert.deepEqual(result, {
      added: ['/', '/user/dave/'],
      updated: ['/user/bob/', '/user/carol/'],
      removed: ['/user/gone/'],
    });
    assert.equal(f.routes.get('/')?.target, 'http://127.0.0.1:8081');
    assert.deepEqual(f.routes.get('/')?.data.hub, true);
    assert.equal(f.routes.get('/user/bob/')?.target, 'http://127.0.0.1:22');
    assert.ok(!f.routes.has('/user/gone/'));
    // alice was right: not re-added (re-adding would reset her last_activity)
    assert.ok(!f.calls.includes('add /user/alice/'));
    assert.deepEqual(
      await reconcileRoutes(
        f.proxy,
        {
          ...hubRoute('http://127.0.0.1:8081'),
          '/user/alice/': { target: 'http://127.0.0.1:1', data: { user: 'alice', server_name: '' } },
          '/user/bob/': { target: 'http://127.0.0.1:22', data: { user: 'bob', server_name: '' } },
          '/user/carol/': { target: 'http://127.0.0.1:4', data: { user: 'carol', server_name: '' } },
          '/user/dave/': { target: 'http://127.0.0.1:5', data: { user: 'dave', server_name: '' } },
        },
        log,
      ),
      { added: [], updated: [], removed: [] },
    );
  });

  it('keeps the hub route unless another hub route is wanted, and keeps pending routes', async () => {
    const f = fakeProxy({
      '/': { target: 'http://127.0.0.1:8081', data: { hub: true } },
      '/user/pending/': { target: 'http://127.0.0.1:9', data: { user: 'pending', server_name: '' } },
    });
    assert.deepEqual(await reconcileRoutes(f.proxy, {}, log, { keep: ['/user/pending'] }), {
      added: [],
      updated: [],
      removed: [],
    });
    const moved = await reconcileRoutes(f.proxy, hubRoute('http://127.0.0.1:8081', '/hub/'), log);
    assert.deepEqual(moved, { added: ['/hub/'], updated: [], removed: ['/', '/user/pending/'] });
  });

  it('limits concurrency, serializes runs, and reports failures after trying everything', async () => {
    const f = fakeProxy();
    const wanted = Object.fromEntries(
      Array.from({ length: 30 }, (_, i) => [
        `/user/u${i}/`,
        { target: `http://127.0.0.1:${1000 + i}`, data: { user: `u${i}` } },
      ]),
    );
    const [a, b] = await Promise.all([
      reconcileRoutes(f.proxy, wanted, log, { concurrency: 4 }),
      reconcileRoutes(f.proxy, wanted, log),
    ]);
    assert.equal(a.added.length, 30);
    assert.equal(b.added.length, 0, 'the second run saw the result of the first');
    assert.ok(f.maxInFlight() <= 4, `at most 4 in flight, saw ${f.maxInFlight()}`);

    const failing = fakeProxy();
    let n = 0;
    const add = failing.proxy.addRoute;
    failing.proxy.addRoute = async (s, t, d) => {
      if (n++ === 0) throw new Error('boom');
      return add(s, t, d);
    };
    await assert.rejects(reconcileRoutes(failing.proxy, wanted, log), /1 of 30 route changes failed; first: boom/);
    assert.equal(failing.routes.size, 29);
  });
});
