import type { Kysely } from 'kysely';
import type { AuditRow, Database } from '../db/index.ts';
import { GENESIS_HASH, recordHash } from './chain.ts';
import { readAnchor, recordsInOrder } from './store.ts';

export type Verdict =
  | { ok: true; count: number; anchored: boolean }
  | { ok: false; count: number; id: number; problem: string };

/**
 * Walks the whole chain from its anchor (or the genesis). Each record's hash must match its content,
 * and its prev_hash the record before it with the next id. Removing the newest records leaves a valid
 * shorter chain; compare the last hash with one kept elsewhere (`tshub audit export`) to catch that.
 */
export async function verifyChain(k: Kysely<Database>): Promise<Verdict> {
  const anchor = await readAnchor(k);
  let prev = anchor ? { id: anchor.last_id, hash: anchor.hash } : { id: 0, hash: GENESIS_HASH };
  let count = 0;
  for await (const r of recordsInOrder(k)) {
    const { hash, ...fields } = r;
    if (recordHash(fields) !== hash) {
      return { ok: false, count, id: r.id, problem: explainMismatch(r) };
    }
    if (r.prev_hash !== prev.hash) {
      const problem =
        r.id !== prev.id + 1
          ? `deleted record: ids ${prev.id + 1}..${r.id - 1} are missing, so the chain link before it is broken`
          : `broken link: its prev_hash does not match record ${prev.id}, which was replaced or reordered`;
      return { ok: false, count, id: r.id, problem };
    }
    prev = { id: r.id, hash };
    count++;
  }
  return { ok: true, count, anchored: anchor !== undefined };
}

// How far from its place a moved record is looked for: hashing is cheap, and moves are local in practice.
const MOVE_WINDOW = 10_000;

/** A record whose content hashes right under another id was moved from there; otherwise it was edited. */
function explainMismatch(r: AuditRow): string {
  const { hash, ...fields } = r;
  for (let d = 1; d <= MOVE_WINDOW; d++) {
    for (const id of [r.id - d, r.id + d]) {
      if (id > 0 && recordHash({ ...fields, id }) === hash) return `reordered: this record was written as record ${id}`;
    }
  }
  return 'changed content: the stored hash does not match the record';
}
