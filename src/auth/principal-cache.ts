import type { Kysely } from 'kysely';
import type { Database, TokenRow } from '../db/index.ts';
import { principalForToken, type Principal } from './principal.ts';

/**
 * Resolved principals per token, valid until anything that affects permissions changes
 * (users, groups, roles, memberships, tokens): `invalidate()` then drops them all at once.
 */
export class PrincipalCache {
  readonly #db: Kysely<Database>;
  readonly #byToken = new Map<number, Principal>();

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  invalidate(): void {
    this.#byToken.clear();
  }

  async forToken(row: TokenRow): Promise<Principal | null> {
    const hit = this.#byToken.get(row.id);
    if (hit) return hit;
    const p = await principalForToken(this.#db, row);
    if (p) {
      if (this.#byToken.size > 50_000) this.#byToken.clear();
      this.#byToken.set(row.id, p);
    }
    return p;
  }
}
