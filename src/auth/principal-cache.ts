import type { Kysely } from 'kysely';
import type { Database, RoleRow, TokenRow } from '../db/index.ts';
import { findRole } from '../repo/roles.ts';
import { ownerScopeSet, principalForToken, type Principal, type ScopeOptions } from './principal.ts';

/**
 * What permissions are made of, as worked out from the database: resolved principals per token, the
 * expanded scopes of each owner (user or service), and roles by name. All of it is valid
 * until anything that affects permissions changes (users, groups, roles, memberships, tokens):
 * `invalidate()` then drops it all at once. Cached sets are shared: callers must not change them.
 */
export class PrincipalCache {
  readonly #db: Kysely<Database>;
  readonly #opts: ScopeOptions;
  readonly #byToken = new Map<number, Principal>();
  readonly #byOwner = new Map<string, Set<string>>();
  readonly #roles = new Map<string, RoleRow | undefined>();
  // Bumped by invalidate(): what was computed from data read before a change is not cached.
  #generation = 0;

  /** `opts.customScopes` should be the config's `custom_scopes`, or roles naming them grant nothing. */
  constructor(db: Kysely<Database>, opts: ScopeOptions = {}) {
    this.#db = db;
    this.#opts = opts;
  }

  invalidate(): void {
    this.#generation++;
    this.#byToken.clear();
    this.#byOwner.clear();
    this.#roles.clear();
  }

  async forToken(row: TokenRow): Promise<Principal | null> {
    const hit = this.#byToken.get(row.id);
    if (hit) return hit;
    const generation = this.#generation;
    // A new token of a known owner (the many tokens of one user, a server's token) reuses its owner's scopes.
    const p = await principalForToken(this.#db, row, this.#opts, (kind, id, name) => this.ownerScopes(kind, id, name));
    if (p && generation === this.#generation) {
      remember(this.#byToken, row.id, p);
      // The owner's scopes come with it: the next token of the same owner, or a token made for it, needs them.
      remember(this.#byOwner, ownerKey(p.kind, p.id, p.name), p.ownerScopes);
    }
    return p;
  }

  /** Everything a user or service holds (its roles and its groups' roles), expanded: see ownerScopeSet. */
  async ownerScopes(kind: 'user' | 'service', id: number, name: string): Promise<Set<string>> {
    // The name is part of the key: `self` and bare filters expand to it, and a renamed owner holds other strings.
    const key = ownerKey(kind, id, name);
    const hit = this.#byOwner.get(key);
    if (hit) return hit;
    const generation = this.#generation;
    const set = await ownerScopeSet(this.#db, kind, id, name, this.#opts);
    if (generation === this.#generation) remember(this.#byOwner, key, set);
    return set;
  }

  /** The role with this name (see findRole). */
  async role(name: string): Promise<RoleRow | undefined> {
    if (this.#roles.has(name)) return this.#roles.get(name);
    const generation = this.#generation;
    const role = await findRole(this.#db, name);
    if (generation === this.#generation) remember(this.#roles, name, role);
    return role;
  }
}

const ownerKey = (kind: 'user' | 'service', id: number, name: string): string => `${kind}:${id}:${name}`;

function remember<K, V>(map: Map<K, V>, key: K, value: V): void {
  if (map.size > 50_000) map.clear();
  map.set(key, value);
}
