import type { Kysely } from 'kysely';
import type { Database, TokenRow } from '../db/index.ts';
import { insertToken, type TokenValues } from '../repo/tokens.ts';

interface Pending {
  values: TokenValues;
  resolve: (row: TokenRow) => void;
  reject: (err: unknown) => void;
}

/**
 * Token inserts that arrive together, written in one SQLite transaction. There a commit costs more than the
 * insert (every changed page is written to the WAL as a frame of its own), and tokens created at the same
 * moment (a workshop's user loader, CI jobs, many servers starting) share most of those pages. Each caller
 * gets its row once the batch is committed. Should the batch fail, each insert is tried again alone, so
 * every caller gets exactly the outcome its own insert has.
 */
export class TokenInsertBatch {
  readonly #db: Kysely<Database>;
  #pending: Pending[] = [];

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  insert(values: TokenValues): Promise<TokenRow> {
    return new Promise((resolve, reject) => {
      // Written once the requests already read are handled: those are the ones arriving together.
      if (this.#pending.length === 0) setImmediate(() => void this.#write());
      this.#pending.push({ values, resolve, reject });
    });
  }

  async #write(): Promise<void> {
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length > 1) {
      try {
        const rows = await this.#db.transaction().execute(async (trx) => {
          const out: TokenRow[] = [];
          for (const p of batch) out.push(await insertToken(trx, p.values));
          return out;
        });
        for (const [i, p] of batch.entries()) p.resolve(rows[i]!);
        return;
      } catch {
        // One bad insert must not fail the others: each is retried alone below, with its own error.
      }
    }
    for (const p of batch) await insertToken(this.#db, p.values).then(p.resolve, p.reject);
  }
}
