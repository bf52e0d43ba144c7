import type { Kysely } from 'kysely';
import type { AuditRow, Database } from '../db/index.ts';
import { GENESIS_HASH, recordHash } from './chain.ts';

type K = Kysely<Database>;

export interface ChainHead {
  id: number;
  hash: string;
}

export async function readAnchor(k: K): Promise<{ last_id: number; hash: string } | undefined> {
  return k.selectFrom('audit_anchor').select(['last_id', 'hash']).where('id', '=', 1).executeTakeFirst();
}

/** Where the next record attaches: the newest record, else the prune anchor, else the genesis. */
export async function chainHead(k: K): Promise<ChainHead> {
  const last = await k.selectFrom('audit_log').select(['id', 'hash']).orderBy('id', 'desc').limit(1).executeTakeFirst();
  if (last) return last;
  const anchor = await readAnchor(k);
  return anchor ? { id: anchor.last_id, hash: anchor.hash } : { id: 0, hash: GENESIS_HASH };
}

/** A record before it is chained: its id and hashes come from where it attaches. */
export type UnchainedRecord = Omit<AuditRow, 'id' | 'prev_hash' | 'hash'>;

// Each failed attempt means another writer appended meanwhile; a few cover any realistic contention.
const APPEND_ATTEMPTS = 5;

/**
 * Appends records after the chain's head as read in the same transaction. Another process may append at
 * the same time (`tshub token` beside the hub): the id is the primary key, so of two writers that read the
 * same head only one insert lands, and the other (a unique violation, or on SQLite a stale read) reads the
 * head again and chains after it. So the chain never forks, whoever writes.
 */
export async function appendToChain(k: K, records: UnchainedRecord[]): Promise<void> {
  if (records.length === 0) return;
  for (let attempt = 1; ; attempt++) {
    try {
      await k.transaction().execute(async (trx) => {
        let prev = await chainHead(trx);
        const rows = records.map((r) => {
          const fields = { ...r, id: prev.id + 1, prev_hash: prev.hash };
          const row = { ...fields, hash: recordHash(fields) };
          prev = row;
          return row;
        });
        await trx.insertInto('audit_log').values(rows).execute();
      });
      return;
    } catch (err) {
      if (attempt >= APPEND_ATTEMPTS) throw err;
    }
  }
}

/**
 * Deletes every record up to the newest one older than `cutoff` and stores that record's id and hash
 * as the anchor the remaining chain starts from. Pruning by id keeps what remains one unbroken chain.
 */
export async function pruneBefore(k: K, cutoff: string, nowIso: string): Promise<number> {
  return k.transaction().execute(async (trx) => {
    const last = await trx
      .selectFrom('audit_log')
      .select(['id', 'hash'])
      .where('time', '<', cutoff)
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (!last) return 0;
    const { count } = await trx
      .selectFrom('audit_log')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('id', '<=', last.id)
      .executeTakeFirstOrThrow();
    await trx.deleteFrom('audit_log').where('id', '<=', last.id).execute();
    await trx.deleteFrom('audit_anchor').execute();
    await trx
      .insertInto('audit_anchor')
      .values({ id: 1, last_id: last.id, hash: last.hash, pruned_at: nowIso })
      .execute();
    return Number(count);
  });
}

/** Records in chain order (ascending id), read in pages so any size of log streams in bounded memory. */
export async function* recordsInOrder(
  k: K,
  range: { since?: string; until?: string } = {},
  pageSize = 1000,
): AsyncGenerator<AuditRow> {
  let after = 0;
  for (;;) {
    let q = k.selectFrom('audit_log').selectAll().where('id', '>', after);
    if (range.since) q = q.where('time', '>=', range.since);
    if (range.until) q = q.where('time', '<', range.until);
    const rows = await q.orderBy('id').limit(pageSize).execute();
    for (const r of rows) yield r;
    if (rows.length < pageSize) return;
    after = rows[rows.length - 1]!.id;
  }
}
