import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Kysely } from 'kysely';
import type { Database } from '../db/index.ts';
import type { Db } from '../db/connect.ts';
import { openTestDb } from '../db/test-helpers.ts';
import type { TokenValues } from '../repo/tokens.ts';
import { TokenInsertBatch } from './insert-batch.ts';

let db: Db;
let userId: number;
before(async () => {
  db = await openTestDb();
  userId = (
    await db.k
      .insertInto('users')
      .values({ name: 'ann', admin: 0, created: '2026-01-01T00:00:00.000Z', last_activity: null, cookie_id: 'c' })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
});
after(() => db.close());

const values = (n: string): TokenValues => ({
  hashed: `sha256:${n}`,
  prefix: n.slice(0, 8),
  kind: 'api',
  user_id: userId,
  service_id: null,
  client_id: 'jupyterhub',
  session_id: null,
  note: n,
  scopes: '[]',
  created: '2026-01-01T00:00:00.000Z',
  expires_at: null,
  last_activity: null,
  last_used_ip: null,
  revoked_at: null,
  rotated_from: null,
  replaced_by: null,
});

/** The database, counting the transactions begun through it. */
function counting(k: Kysely<Database>): { k: Kysely<Database>; transactions: () => number } {
  let n = 0;
  const proxy = new Proxy(k, {
    get(target, prop) {
      if (prop === 'transaction')
        return () => {
          n++;
          return target.transaction();
        };
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return { k: proxy, transactions: () => n };
}

test('inserts asked for together are written in one transaction, each caller getting its own row', async () => {
  const { k, transactions } = counting(db.k);
  const batch = new TokenInsertBatch(k);
  const rows = await Promise.all(['together-1', 'together-2', 'together-3'].map((n) => batch.insert(values(n))));
  assert.equal(transactions(), 1);
  assert.deepEqual(
    rows.map((r) => r.note),
    ['together-1', 'together-2', 'together-3'],
  );
  assert.equal(new Set(rows.map((r) => r.id)).size, 3);
  const stored = await db.k
    .selectFrom('api_tokens')
    .selectAll()
    .where(
      'id',
      'in',
      rows.map((r) => r.id),
    )
    .orderBy('id')
    .execute();
  assert.deepEqual(
    stored.map((r) => ({ ...r })),
    rows,
  );
});

test('a lone insert needs no transaction', async () => {
  const { k, transactions } = counting(db.k);
  const row = await new TokenInsertBatch(k).insert(values('alone'));
  assert.equal(transactions(), 0);
  assert.equal(row.note, 'alone');
});

test('one failing insert fails alone: the others of its batch are stored', async () => {
  const batch = new TokenInsertBatch(db.k);
  const results = await Promise.allSettled([
    batch.insert(values('fine-1')),
    batch.insert(values('together-1')),
    batch.insert(values('fine-2')),
  ]);
  assert.deepEqual(
    results.map((r) => r.status),
    ['fulfilled', 'rejected', 'fulfilled'],
    'a duplicate digest is refused',
  );
  const notes = (
    await db.k.selectFrom('api_tokens').select('note').where('note', 'like', 'fine-%').orderBy('note').execute()
  ).map((r) => r.note);
  assert.deepEqual(notes, ['fine-1', 'fine-2']);
});
