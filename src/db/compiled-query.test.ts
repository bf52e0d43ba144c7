import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { compiledQuery, readDirectly } from './compiled-query.ts';
import type { Db } from './index.ts';
import { openTestDb } from './test-helpers.ts';

// Runs on SQLite, and on PostgreSQL under scripts/with-postgres.sh: the placeholders differ (? and $n).

let db: Db;
before(async () => {
  db = await openTestDb();
});
after(() => db.close());

const now = '2026-01-01T00:00:00.000Z';
const insertUser = compiledQuery((k, a: { name: string; admin: number; cookie: string }) =>
  k
    .insertInto('users')
    .values({ name: a.name, admin: a.admin, created: now, last_activity: null, cookie_id: a.cookie })
    .returningAll(),
);
const byName = compiledQuery((k, a: { name: string }) => k.selectFrom('users').selectAll().where('name', '=', a.name));
// A fixed value ('1') between two arguments: each parameter must keep its own place.
const adminsBetween = compiledQuery((k, a: { from: string; to: string }) =>
  k
    .selectFrom('users')
    .select('name')
    .where('name', '>=', a.from)
    .where('admin', '=', 1)
    .where('name', '<=', a.to)
    .orderBy('name'),
);

test('a compiled query runs with new values each time, on the database and inside a transaction', async () => {
  const alice = await insertUser.first(db.k, { name: 'alice', admin: 1, cookie: 'c-alice' });
  assert.equal(alice?.name, 'alice');
  assert.equal(alice?.created, now);
  await db.k.transaction().execute(async (trx) => {
    await insertUser.execute(trx, { name: 'bob', admin: 0, cookie: 'c-bob' });
    await insertUser.execute(trx, { name: 'carol', admin: 1, cookie: 'c-carol' });
  });
  assert.equal((await byName.first(db.k, { name: 'bob' }))?.cookie_id, 'c-bob');
  assert.equal((await byName.first(db.k, { name: 'carol' }))?.admin, 1);
  assert.equal(await byName.first(db.k, { name: 'nobody' }), undefined);
  assert.deepEqual(
    (await adminsBetween.execute(db.k, { from: 'a', to: 'z' })).rows.map((r) => r.name),
    ['alice', 'carol'],
  );
  assert.deepEqual(
    (await adminsBetween.execute(db.k, { from: 'b', to: 'z' })).rows.map((r) => r.name),
    ['carol'],
  );
});

test('a rolled-back transaction undoes what a compiled query wrote in it', async () => {
  await assert.rejects(
    db.k.transaction().execute(async (trx) => {
      await insertUser.execute(trx, { name: 'dave', admin: 0, cookie: 'c-dave' });
      throw new Error('undo');
    }),
    /undo/,
  );
  assert.equal(await byName.first(db.k, { name: 'dave' }), undefined);
});

test('an argument given as undefined is refused rather than dropped from the query', async () => {
  await assert.rejects(byName.execute(db.k, { name: undefined as unknown as string }), /argument 'name' is undefined/);
});

test('an argument that does not become a plain parameter is refused when compiling', async () => {
  const list = compiledQuery((k, a: { names: string[] }) =>
    k
      .selectFrom('users')
      .select('id')
      .where('name', '=', a.names.length > 0 ? 'x' : 'y'),
  );
  await assert.rejects(list.execute(db.k, { names: [] }), /argument\(s\) names not used as plain values/);
});

test('the SQL is compiled once per dialect, not per run', async () => {
  let builds = 0;
  const counted = compiledQuery((k, a: { name: string }) => {
    builds++;
    return k.selectFrom('users').select('id').where('name', '=', a.name);
  });
  await counted.execute(db.k, { name: 'alice' });
  await counted.execute(db.k, { name: 'bob' });
  await db.k.transaction().execute((trx) => counted.execute(trx, { name: 'carol' }));
  assert.equal(builds, 1);
});

test('a list argument (for `in`) binds every element, compiled once per power-of-two length', async () => {
  let builds = 0;
  const byNames = compiledQuery(
    (k, a: { names: string[]; admin: number }) => {
      builds++;
      return k
        .selectFrom('users')
        .select('name')
        .where('name', 'in', a.names)
        .where('admin', '=', a.admin)
        .orderBy('name');
    },
    { lists: ['names'] },
  );
  const names = async (list: string[], admin: number) =>
    (await byNames.execute(db.k, { names: list, admin })).rows.map((r) => r.name);
  assert.deepEqual(await names(['carol', 'alice', 'nobody'], 1), ['alice', 'carol']);
  // Three and four elements share a form: the padding repeats the last one, which `in` ignores.
  assert.deepEqual(await names(['bob', 'alice', 'carol', 'nobody'], 1), ['alice', 'carol']);
  assert.deepEqual(await names(['bob'], 0), ['bob']);
  assert.deepEqual(await names(['nobody', 'bob'], 0), ['bob']);
  assert.equal(builds, 3);
  await assert.rejects(byNames.execute(db.k, { names: [], admin: 1 }), /'names' must be a non-empty array/);
});

test('compiled reads go to the direct reader of their database, and writes and transactions do not', async () => {
  const k = db.k.withoutPlugins();
  const asked: string[] = [];
  readDirectly(k, (sql) => {
    asked.push(sql);
    return [{ name: 'from the direct reader' }];
  });
  assert.deepEqual((await byName.execute(k, { name: 'x' })).rows, [{ name: 'from the direct reader' }]);
  assert.equal(asked.length, 1);
  const written = await insertUser.first(k, { name: 'direct-write', admin: 0, cookie: 'c-direct-write' });
  assert.equal(written?.name, 'direct-write', 'a write (here with RETURNING) goes through Kysely');
  await k.transaction().execute(async (trx) => {
    assert.equal((await byName.first(trx, { name: 'direct-write' }))?.name, 'direct-write');
  });
  assert.equal(asked.length, 1, 'neither the write nor the read in a transaction asked the direct reader');
});

test('a read from outside an open transaction waits for it, as through Kysely', async (t) => {
  // PostgreSQL's reads outside the transaction run on another connection and see only what is committed.
  if (db.kind !== 'sqlite') return t.skip('SQLite has one connection');
  let outside: Promise<unknown> | null = null;
  let answered = false;
  await db.k.transaction().execute(async (trx) => {
    await insertUser.execute(trx, { name: 'dave', admin: 0, cookie: 'c-dave' });
    outside = byName.first(db.k, { name: 'dave' }).then((row) => {
      answered = true;
      return row;
    });
    await new Promise((r) => setImmediate(r));
    assert.equal(answered, false, 'not answered while the transaction is open: no uncommitted read');
  });
  assert.equal(((await outside!) as { name: string } | undefined)?.name, 'dave', 'answered after the commit');
});
