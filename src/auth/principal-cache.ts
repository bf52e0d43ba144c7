import type { Kysely } from 'kysely';
import type { Database, TokenRow } from '../db/index.ts';
import { principalForToken, type Principal, type ScopeOptions } from './principal.ts';

/**
 * Resolved principals per token, valid until anything that affects permissions changes
 * (users, groups, roles, memberships, tokens): `invalidate()` then drops them all at once.
 */
export class PrincipalCache {
  readonly #db: Kysely<Database>;
  readonly #opts: ScopeOptions;
  readonly #byToken = new Map<number, Principal>();
  // Bumped by invalidate(): a principal computed from data read before a change is not cached.
  #generation = 0;

  /** `opts.customScopes` should be the config's `custom_scopes`, or roles naming them grant nothing. */
  constructor(db: Kysely<Database>, opts: ScopeOptions = {}) {
    this.#db = db;
    this.#opts = opts;
  }

  invalidate(): void {
    this.#generation++;
    this.#byToken.clear();
  }

  async forToken(row: TokenRow): Promise<Principal | null> {
    const hit = this.#byToken.get(row.id);
    if (hit) return hit;
    const generation = this.#generation;
    const p = await principalForToken(this.#db, row, this.#opts);
    if (p && generation === this.#generation) {
      if (this.#byToken.size > 50_000) this.#byToken.clear();
      this.#byToken.set(row.id, p);
    }
    return p;
  }
}
