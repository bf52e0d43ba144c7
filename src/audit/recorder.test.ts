// The recorder and the chain on an in-memory SQLite database (PostgreSQL under test:pg): linear chain
// across restarts, once-only events, tampering found (changed, deleted, reordered), and pruning that
// keeps the chain verifiable.
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { Db } from '../db/index.ts';
import { openTestDb } from '../db/test-helpers.ts';
import { recordHash } from './chain.ts';
import { AuditRecorder } from './recorder.ts';
import { verifyChain } from './verify.ts';

const log = pino({ level: 'silent' });
let db: Db;

beforeEach(async () => {
  db = await openTestDb();
});
afterEach(() => db.close());

async function writeEvents(n: number, config = { enabled: true, retention_days: 0 }): Promise<AuditRecorder> {
  const rec = new AuditRecorder(db.k, log, config);
  for (let i = 0; i < n; i++)
    rec.record({ action: 'test.event', reason: `event ${i}`, target: { kind: 'user', name: `u${i}` } });
  await rec.flush();
  return rec;
}

describe('audit recorder', () => {
  test('writes a linear chain that a new recorder (a restarted hub) continues', async () => {
    await writeEvents(150);
    await writeEvents(3);
    const rows = await db.k.selectFrom('audit_log').selectAll().orderBy('id').execute();
    assert.deepEqual(
      rows.map((r) => r.id),
      Array.from({ length: 153 }, (_, i) => i + 1),
    );
    assert.equal(rows[150]!.prev_hash, rows[149]!.hash);
    assert.deepEqual(await verifyChain(db.k), { ok: true, count: 153, anchored: false });
  });

  test('records nothing when disabled', async () => {
    await writeEvents(5, { enabled: false, retention_days: 0 });
    assert.equal((await db.k.selectFrom('audit_log').selectAll().execute()).length, 0);
  });

  test('a once-only event is written once, in one batch or across batches', async () => {
    const rec = new AuditRecorder(db.k, log, { enabled: true, retention_days: 0 });
    const e = { action: 'token.expire', target: { kind: 'token', name: 'a1' }, once: true };
    rec.record(e);
    rec.record(e);
    await rec.flush();
    rec.record(e);
    await rec.flush();
    assert.equal((await db.k.selectFrom('audit_log').selectAll().execute()).length, 1);
  });

  test('verify names a changed record', async () => {
    await writeEvents(10);
    await db.k.updateTable('audit_log').set({ reason: 'nothing to see' }).where('id', '=', 4).execute();
    const v = await verifyChain(db.k);
    assert.equal(v.ok, false);
    assert.ok(!v.ok && v.id === 4 && /changed content/.test(v.problem), JSON.stringify(v));
  });

  test('verify names the record after a deleted one', async () => {
    await writeEvents(10);
    await db.k.deleteFrom('audit_log').where('id', '=', 6).execute();
    const v = await verifyChain(db.k);
    assert.ok(!v.ok && v.id === 7 && /deleted record/.test(v.problem), JSON.stringify(v));
  });

  test('verify names a re-hashed forgery by its broken link', async () => {
    await writeEvents(10);
    const row = await db.k.selectFrom('audit_log').selectAll().where('id', '=', 3).executeTakeFirstOrThrow();
    const { hash: _old, ...fields } = { ...row, reason: 'forged' };
    await db.k
      .updateTable('audit_log')
      .set({ reason: 'forged', hash: recordHash(fields) })
      .where('id', '=', 3)
      .execute();
    const v = await verifyChain(db.k);
    assert.ok(!v.ok && v.id === 4 && /broken link/.test(v.problem), JSON.stringify(v));
  });

  test('verify names reordered records', async () => {
    await writeEvents(10);
    // Swap records 5 and 6 whole (ids renumbered, hashes kept), as a careless or hostile edit would.
    await db.k.updateTable('audit_log').set({ id: 1000 }).where('id', '=', 5).execute();
    await db.k.updateTable('audit_log').set({ id: 5 }).where('id', '=', 6).execute();
    await db.k.updateTable('audit_log').set({ id: 6 }).where('id', '=', 1000).execute();
    const v = await verifyChain(db.k);
    assert.ok(
      !v.ok && v.id === 5 && /reordered: this record was written as record 6/.test(v.problem),
      JSON.stringify(v),
    );
  });

  test('pruning keeps the rest verifiable from the anchor, records audit.prune, and the chain goes on', async () => {
    await writeEvents(20);
    // Age the first 12 records past the retention.
    await db.k.updateTable('audit_log').set({ time: '2000-01-01T00:00:00.000Z' }).where('id', '<=', 12).execute();
    // Their hashes no longer match (we changed their time); re-seal them so only pruning is tested.
    let prev = '0'.repeat(64);
    for (const r of await db.k.selectFrom('audit_log').selectAll().orderBy('id').execute()) {
      const { hash: _h, ...fields } = { ...r, prev_hash: prev };
      const hash = recordHash(fields);
      await db.k.updateTable('audit_log').set({ prev_hash: prev, hash }).where('id', '=', r.id).execute();
      prev = hash;
    }
    // A fresh recorder (as after a restart) reads the re-sealed head.
    await new AuditRecorder(db.k, log, { enabled: true, retention_days: 30 }).prune();
    const rows = await db.k.selectFrom('audit_log').selectAll().orderBy('id').execute();
    assert.equal(rows[0]!.id, 13);
    assert.equal(rows.at(-1)!.action, 'audit.prune');
    assert.match(rows.at(-1)!.reason!, /removed 12 records/);
    assert.deepEqual(await verifyChain(db.k), { ok: true, count: 9, anchored: true });
    await writeEvents(2);
    assert.deepEqual(await verifyChain(db.k), { ok: true, count: 11, anchored: true });
    // Deleting the first kept record is still caught: the anchor fixes where the chain must start.
    await db.k.deleteFrom('audit_log').where('id', '=', 13).execute();
    const v = await verifyChain(db.k);
    assert.ok(!v.ok && v.id === 14, JSON.stringify(v));
  });
});
