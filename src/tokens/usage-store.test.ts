// The usage writer on a real database (in-memory SQLite; PostgreSQL under TSHUB_TEST_POSTGRES): counts add
// up across flushes, only the last distinct clients stay, old days go, and a deleted token's usage is dropped.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Db } from '../db/index.ts';
import { openTestDb } from '../db/test-helpers.ts';
import { insertUser } from '../repo/users.ts';
import { issueToken } from './issue.ts';
import { CLIENTS_KEPT, TokenUsageCollector } from './usage-collector.ts';
import { pruneUsage, readUsage, RETENTION_DAYS, writeUsage } from './usage-store.ts';

let db: Db;
let tokenId: number;
before(async () => {
  db = await openTestDb();
  const ann = (await insertUser(db.k, 'ann', false)).id;
  const issued = await issueToken(db.k, db.kind, {
    owner: { kind: 'user', id: ann },
    kind: 'api',
    note: 'n',
    scopes: [],
    expiresIn: null,
  });
  tokenId = issued.row.id;
});
after(() => db.close());

const now = new Date('2026-12-07T12:00:00Z');
const hit = (ip: string, s: number, status = 200, route = 'GET /hub/api/user') => ({
  tokenId,
  ip,
  userAgent: `agent ${ip}`,
  route,
  status,
  at: new Date(now.getTime() + s * 1000),
});

test('flushes add up; only the last distinct IPs and agents stay', async () => {
  const c = new TokenUsageCollector();
  for (let i = 0; i < 8; i++) c.record(hit(`10.0.0.${i}`, i, i % 2 ? 404 : 200));
  await writeUsage(db.k, c.take().batch);
  for (let i = 8; i < 14; i++) c.record(hit(`10.0.0.${i}`, i, 200, 'POST /hub/api/users/:name/tokens'));
  c.record(hit('10.0.0.0', 20));
  await writeUsage(db.k, c.take().batch);
  const u = await readUsage(db.k, tokenId, now);
  assert.equal(u.ips.length, CLIENTS_KEPT);
  assert.equal(u.user_agents.length, CLIENTS_KEPT);
  assert.deepEqual(u.ips[0], {
    ip: '10.0.0.0',
    first_seen: now.toISOString(),
    last_seen: new Date(now.getTime() + 20_000).toISOString(),
    requests: 2,
  });
  assert.ok(!u.ips.some((c) => ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'].includes(c.ip)), 'the oldest went');
  assert.deepEqual(u.days, [{ day: '2026-12-07', requests: 15, errors: 4 }]);
  assert.deepEqual(u.top_routes, [
    { route: 'GET /hub/api/user', requests: 9 },
    { route: 'POST /hub/api/users/:name/tokens', requests: 6 },
  ]);
});

test('days past the retention are pruned; a deleted token is skipped without failing the batch', async () => {
  const c = new TokenUsageCollector();
  const old = new Date(now.getTime() - RETENTION_DAYS * 86_400_000);
  c.record({ ...hit('10.0.0.0', 0), at: old });
  c.record({ ...hit('10.9.9.9', 0), tokenId: 999_999 });
  await writeUsage(db.k, c.take().batch);
  const before = await db.k.selectFrom('token_usage_days').select('day').where('token_id', '=', tokenId).execute();
  assert.equal(before.length, 2);
  assert.equal((await readUsage(db.k, tokenId, now)).days.length, 1, 'reads stop at the retention already');
  await pruneUsage(db.k, now);
  const days = await db.k.selectFrom('token_usage_days').select('day').execute();
  assert.deepEqual(
    days.map((d) => d.day),
    ['2026-12-07'],
  );
  const routes = await db.k.selectFrom('token_usage_routes').select('day').distinct().execute();
  assert.deepEqual(
    routes.map((d) => d.day),
    ['2026-12-07'],
  );
});
