import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import type { Db } from '../db/index.ts';
import { openTestDb, TEST_POSTGRES } from '../db/test-helpers.ts';
import { listUsers, type UserListQuery, type UserState } from './user-list.ts';

// The listing by server state takes a different road (the spawners' partial index) from the general
// one; both must give the same users, in the same order, with the same totals, for every combination.

let db: Db;
type Server = { server_url: string | null; pending: string | null };
// user index -> its servers (name -> state); some users own several, some none.
const layout: Record<number, Record<string, Server>> = {};

before(async () => {
  db = await openTestDb();
  const now = new Date().toISOString();
  const states: Server[] = [
    { server_url: 'http://127.0.0.1:1/', pending: null },
    { server_url: null, pending: 'spawn' },
    { server_url: 'http://127.0.0.1:2/', pending: 'stop' },
    { server_url: null, pending: null },
  ];
  for (let i = 0; i < 60; i++) {
    const { id } = await db.k
      .insertInto('users')
      .values({
        name: `user-${String(i).padStart(2, '0')}${i % 7 === 0 ? '-x' : ''}`,
        admin: 0,
        created: now,
        last_activity: now,
        cookie_id: `c${i}`,
      } as never)
      .returning('id')
      .executeTakeFirstOrThrow();
    layout[id] = {};
    for (let s = 0; s < i % 4; s++) {
      const st = states[(i + s) % states.length]!;
      layout[id]![s === 0 ? '' : `n${s}`] = st;
      await db.k
        .insertInto('spawners')
        .values({ user_id: id, name: s === 0 ? '' : `n${s}`, state: '{}', user_options: '{}', ...st } as never)
        .execute();
    }
  }
});

after(() => db.close());

function expected(q: UserListQuery, names: Map<number, string>): number[] {
  const isReady = (s: Server) => s.server_url !== null && s.pending === null;
  const isActive = (s: Server) => s.server_url !== null || s.pending !== null;
  const ids = Object.keys(layout)
    .map(Number)
    .filter((id) => {
      const servers = Object.values(layout[id]!);
      const name = names.get(id)!;
      if (q.nameFilter && !name.includes(q.nameFilter)) return false;
      if (q.visible && !q.visible.users.has(name)) return false;
      if (q.state === 'ready') return servers.some(isReady);
      if (q.state === 'active') return servers.some(isActive);
      if (q.state === 'inactive') return !servers.some(isActive);
      return true;
    });
  ids.sort((a, b) => (q.sort.desc ? b - a : a - b));
  return ids;
}

test('listing by state: same users, order and totals as a plain filter, paged, sorted either way, with name and visibility filters', async () => {
  const rows = await db.k.selectFrom('users').select(['id', 'name']).execute();
  const names = new Map(rows.map((r) => [r.id, r.name]));
  const visibleNames = new Set(rows.filter((_, i) => i % 3 === 0).map((r) => r.name));
  let checked = 0;
  for (const state of [null, 'ready', 'active', 'inactive'] as (UserState | null)[]) {
    for (const desc of [false, true]) {
      for (const nameFilter of [null, '-x', '1']) {
        for (const visible of [null, { users: visibleNames, groups: new Set<string>() }]) {
          for (const [offset, limit] of [
            [0, 7],
            [5, 10],
            [0, 100],
            [40, 50],
            [200, 5],
          ] as const) {
            const q: UserListQuery = { offset, limit, nameFilter, state, sort: { key: 'id', desc }, visible };
            const want = expected(q, names);
            const got = await listUsers(db.k, q);
            assert.equal(got.total, want.length, JSON.stringify({ ...q, visible: !!visible }));
            assert.deepEqual(
              got.rows.map((r) => r.id),
              want.slice(offset, offset + limit),
              JSON.stringify({ ...q, visible: !!visible }),
            );
            checked++;
          }
        }
      }
    }
  }
  assert.equal(checked, 4 * 2 * 3 * 2 * 5);
});

test('the ready listing reads the spawners through the partial index, not a scan of the table', {
  skip: TEST_POSTGRES ? "SQLite's query plan (PostgreSQL's planner rightly scans a table this small)" : false,
}, async () => {
  const plan = await sql<{
    detail: string;
  }>`EXPLAIN QUERY PLAN SELECT count(DISTINCT user_id) FROM spawners WHERE (server_url IS NOT NULL AND pending IS NULL)`.execute(
    db.k,
  );
  assert.match(plan.rows.map((r) => r.detail).join(' '), /USING COVERING INDEX spawners_active_owner/);
});
