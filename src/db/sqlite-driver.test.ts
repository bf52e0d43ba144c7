import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUSY_TIMEOUT_MS, openSqlite } from './sqlite-driver.ts';

test('statements are prepared once per SQL text and stay correct when reused', () => {
  const { raw, kysely } = openSqlite(':memory:');
  try {
    raw.exec('create table t (id integer primary key, name text, flag integer)');
    const insert = kysely.prepare('insert into t (name, flag) values (?, ?) returning id');
    assert.equal(insert.reader, true, 'RETURNING produces rows');
    assert.equal(
      kysely.prepare('insert into t (name, flag) values (?, ?) returning id'),
      insert,
      'the same statement object is reused',
    );
    for (const [name, flag] of [
      ['a', true],
      ['b', false],
      ['c', undefined],
    ] as const)
      insert.all([name, flag]);
    const select = kysely.prepare('select name, flag from t where flag = ? order by id');
    assert.deepEqual(
      select.all([1]).map((r) => ({ ...(r as object) })),
      [{ name: 'a', flag: 1 }],
    );
    assert.deepEqual(
      select.all([0]).map((r) => ({ ...(r as object) })),
      [{ name: 'b', flag: 0 }],
    );
    const update = kysely.prepare('update t set flag = 1 where flag is null');
    assert.equal(update.reader, false);
    assert.equal(update.run([]).changes, 1);
  } finally {
    raw.close();
  }
});

test('the cache is bounded: old statements are dropped, new ones still work', () => {
  const { raw, kysely } = openSqlite(':memory:');
  try {
    const first = kysely.prepare('select 0 as n');
    for (let i = 1; i <= 600; i++)
      assert.deepEqual({ ...(kysely.prepare(`select ${i} as n`).all([])[0] as object) }, { n: i });
    assert.notEqual(kysely.prepare('select 0 as n'), first, 'the oldest statement was evicted and is prepared anew');
  } finally {
    raw.close();
  }
});

test('a file database uses WAL, synchronous=NORMAL and a busy timeout', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tshub-sqlite-'));
  const { raw } = openSqlite(join(dir, 'db.sqlite'));
  try {
    const pragma = (name: string) => Object.values(raw.prepare(`PRAGMA ${name}`).get()!)[0];
    assert.equal(pragma('journal_mode'), 'wal');
    assert.equal(pragma('synchronous'), 1, 'NORMAL');
    assert.equal(pragma('busy_timeout'), BUSY_TIMEOUT_MS);
  } finally {
    raw.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('rows are plain objects keyed by column, a later column of the same name winning, from all() and iterate()', () => {
  const { raw, kysely } = openSqlite(':memory:');
  try {
    raw.exec("create table t (id integer primary key, name text); insert into t (name) values ('a'), ('b')");
    const both = kysely.prepare('select id, name, id * 10 as name from t order by id');
    assert.deepEqual(both.all([]), [
      { id: 1, name: 10 },
      { id: 2, name: 20 },
    ]);
    assert.deepEqual([...both.iterate([])], both.all([]));
    const one = kysely.prepare('select name from t where id = ?');
    assert.deepEqual(one.all([2]), [{ name: 'b' }]);
    assert.deepEqual(one.all([3]), []);
  } finally {
    raw.close();
  }
});
