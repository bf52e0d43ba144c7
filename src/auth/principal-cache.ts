import type { Kysely } from 'kysely';
import type { Database, RoleRow, TokenRow } from '../db/index.ts';
import { findRole } from '../repo/roles.ts';
import type { PermissionCache, Permissions } from './permissions.ts';
import { ownerScopeSet, principalForToken, type Principal, type ScopeOptions } from './principal.ts';

/**
 * What permissions are made of, as worked out from the database: resolved principals per token, the
 * expanded scopes of each owner (user or service), and roles by name. All of it is kept in caches of
 * `permissions`, whose `invalidate()` drops it at once. Cached sets are shared: callers must not change them.
 */
export class PrincipalCache {
  readonly #db: Kysely<Database>;
  readonly #opts: ScopeOptions;
  readonly #permissions: Permissions;
  readonly #byToken: PermissionCache<number, Principal>;
  readonly #byOwner: PermissionCache<string, Set<string>>;
  readonly #roles: PermissionCache<string, RoleRow | undefined>;

  /** `opts.customScopes` should be the config's `custom_scopes`, or roles naming them grant nothing. */
  constructor(db: Kysely<Database>, permissions: Permissions, opts: ScopeOptions = {}) {
    this.#db = db;
    this.#opts = opts;
    this.#permissions = permissions;
    // Kept from their second use: a token (or an owner) seen once would only push out those in use.
    this.#byToken = permissions.cache({ admitOnSecondUse: true });
    this.#byOwner = permissions.cache({ admitOnSecondUse: true });
    this.#roles = permissions.cache();
  }

  async forToken(row: TokenRow): Promise<Principal | null> {
    const hit = this.#byToken.get(row.id);
    if (hit) return hit.value;
    const generation = this.#permissions.generation;
    // A new token of a known owner (the many tokens of one user, a server's token) reuses its owner's scopes.
    const p = await principalForToken(this.#db, row, this.#opts, (kind, id, name) => this.ownerScopes(kind, id, name));
    if (p) {
      this.#byToken.set(row.id, p, generation);
      // The owner's scopes come with it: the next token of the same owner, or a token made for it, needs them.
      this.#byOwner.set(ownerKey(p.kind, p.id, p.name), p.ownerScopes, generation);
    }
    return p;
  }

  /** Everything a user or service holds (its roles and its groups' roles), expanded: see ownerScopeSet. */
  ownerScopes(kind: 'user' | 'service', id: number, name: string): Promise<Set<string>> {
    // The name is part of the key: `self` and bare filters expand to it, and a renamed owner holds other strings.
    return this.#byOwner.through(ownerKey(kind, id, name), () => ownerScopeSet(this.#db, kind, id, name, this.#opts));
  }

  /** The role with this name (see findRole). */
  role(name: string): Promise<RoleRow | undefined> {
    return this.#roles.through(name, () => findRole(this.#db, name));
  }
}

const ownerKey = (kind: 'user' | 'service', id: number, name: string): string => `${kind}:${id}:${name}`;
