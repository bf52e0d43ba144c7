import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { connect, type Db } from './connect.ts';
import { migrateToLatest } from './migrate.ts';
import { openTestDb, TEST_POSTGRES } from './test-helpers.ts';

const USER = { name: 'ada', admin: 0, created: '2026-01-01T00:00:00.000000Z', last_activity: null, cookie_id: 'c-ada' };

describe('WriteClock: every write the hub makes moves it, reads do not', () => {
  let db: Db;
  before(async () => {
    db = await openTestDb();
  });
  after(() => db.close());

  const moves = async (what: () => Promise<unknown>): Promise<boolean> => {
    const before = db.writes.now();
    await what().catch(() => {});
    return db.writes.now() !== before;
  };

  test('reads leave it alone', async () => {
    assert.equal(await moves(() => db.k.selectFrom('users').selectAll().execute()), false);
    assert.equal(await moves(() => sql`select count(*) from users`.execute(db.k)), false);
  });

  test('inserts, updates, deletes and raw writes move it', async () => {
    assert.equal(await moves(() => db.k.insertInto('users').values(USER).execute()), true);
    assert.equal(
      await moves(() => db.k.updateTable('users').set({ admin: 1 }).where('name', '=', 'ada').execute()),
      true,
    );
    assert.equal(await moves(() => sql`update users set admin = 0 where name = 'ada'`.execute(db.k)), true);
    assert.equal(await moves(() => db.k.deleteFrom('users').where('name', '=', 'nobody').execute()), true);
  });

  test('a write that fails still moves it (it may have done part of its work)', async () => {
    assert.equal(await moves(() => db.k.insertInto('users').values(USER).execute()), true, 'duplicate name');
  });

  test('a transaction moves it again when it commits or rolls back', async () => {
    let inside = 0;
    await db.k.transaction().execute(async (trx) => {
      await trx.updateTable('users').set({ admin: 1 }).where('name', '=', 'ada').execute();
      inside = db.writes.now();
    });
    assert.notEqual(db.writes.now(), inside, 'commit');
    await assert.rejects(
      db.k.transaction().execute(async (trx) => {
        await trx.updateTable('users').set({ admin: 0 }).where('name', '=', 'ada').execute();
        inside = db.writes.now();
        throw new Error('undo');
      }),
    );
    assert.notEqual(db.writes.now(), inside, 'rollback');
  });
});

describe("WriteClock on a SQLite file: another process's commit is noticed", {
  skip: TEST_POSTGRES ? 'SQLite only: PostgreSQL cannot tell' : false,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), 'write-clock-'));
  let hub: Db;
  let other: Db;
  before(async () => {
    hub = connect({ kind: 'sqlite', path: join(dir, 'db.sqlite') });
    await migrateToLatest(hub.k, hub.kind);
    other = connect({ kind: 'sqlite', path: join(dir, 'db.sqlite') });
  });
  after(async () => {
    await other.close();
    await hub.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('within a fraction of a second, without any write of its own', async () => {
    await sleep(150);
    const before = hub.writes.now();
    await other.k.insertInto('users').values(USER).execute();
    let seen = false;
    for (let i = 0; i < 20 && !seen; i++) {
      await sleep(50);
      seen = hub.writes.now() !== before;
    }
    assert.ok(seen, "the other connection's insert moved the hub's clock");
    const settled = hub.writes.now();
    await sleep(150);
    assert.equal(hub.writes.now(), settled, 'and nothing else does');
  });
});
