import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CLIENTS_KEPT,
  MAX_AGENT,
  MAX_ROUTES,
  MAX_TOKENS,
  OTHER_ROUTE,
  TokenUsageCollector,
} from './usage-collector.ts';

const at = (s: number) => new Date(Date.UTC(2026, 11, 7, 23, 59, 0) + s * 1000);
const hit = (over: Partial<Parameters<TokenUsageCollector['record']>[0]> = {}) => ({
  tokenId: 1,
  ip: '127.0.0.1',
  userAgent: 'curl/8',
  route: 'GET /hub/api/user',
  status: 200,
  at: at(0),
  ...over,
});

test('counts requests and errors per UTC day and routes per day', () => {
  const c = new TokenUsageCollector();
  c.record(hit());
  c.record(hit({ status: 404, route: 'GET /hub/api/users/:name' }));
  c.record(hit({ at: at(120), status: 500 }));
  c.record(hit({ route: null, status: 404 }));
  const t = c.take().batch.get(1)!;
  assert.deepEqual(
    [...t.days].map(([d, v]) => [d, v.requests, v.errors, Object.fromEntries(v.routes)]),
    [
      ['2026-12-07', 3, 2, { 'GET /hub/api/user': 1, 'GET /hub/api/users/:name': 1 }],
      ['2026-12-08', 1, 1, { 'GET /hub/api/user': 1 }],
    ],
  );
  assert.equal(c.size, 0, 'take empties the collector');
});

test('keeps only the last distinct IPs and agents, most recent last, with first/last seen', () => {
  const c = new TokenUsageCollector();
  c.record(hit({ ip: '10.0.0.1', at: at(0) }));
  for (let i = 0; i < 5000; i++) c.record(hit({ ip: `10.1.${i >> 8}.${i & 255}`, userAgent: `agent ${i}`, at: at(1) }));
  c.record(hit({ ip: '10.0.0.1', at: at(2) }));
  const t = c.take().batch.get(1)!;
  assert.equal(t.ips.size, CLIENTS_KEPT);
  assert.equal(t.agents.size, CLIENTS_KEPT);
  const last = [...t.ips].at(-1)!;
  assert.equal(last[0], '10.0.0.1', 'a returning IP is the most recent one');
  assert.deepEqual(last[1], { first: at(2).toISOString(), last: at(2).toISOString(), requests: 1 });
  assert.ok(t.ips.has('10.1.19.135') && !t.ips.has('10.1.0.0'), 'the oldest ones went');
});

test('memory stays bounded: tokens, routes and agent length', () => {
  const c = new TokenUsageCollector();
  for (let id = 1; id <= MAX_TOKENS + 50; id++) c.record(hit({ tokenId: id }));
  assert.equal(c.size, MAX_TOKENS);
  for (let r = 0; r < MAX_ROUTES * 3; r++) c.record(hit({ route: `GET /r${r}` }));
  c.record(hit({ userAgent: 'x'.repeat(10_000) }));
  const { batch, dropped } = c.take();
  assert.equal(dropped, 50, 'requests of tokens past the bound are counted as dropped');
  const routes = batch.get(1)!.days.get('2026-12-07')!.routes;
  assert.equal(routes.size, MAX_ROUTES);
  assert.equal(routes.get(OTHER_ROUTE), MAX_ROUTES * 3 - (MAX_ROUTES - 2));
  assert.ok([...batch.get(1)!.agents.keys()].every((a) => a.length <= MAX_AGENT));
});
