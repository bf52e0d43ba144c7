import type { Kysely } from 'kysely';
import type { Database, ServiceRow, TokenRow, UserRow } from '../db/index.ts';
import { parseJson } from '../lib/json.ts';
import { expandScopes, identifyScopes, intersectScopes } from '../rbac/index.ts';
import { scopesOfService, scopesOfUser } from '../repo/roles.ts';
import { findServiceById } from '../repo/services.ts';
import { findUserById } from '../repo/users.ts';
import { groupMembership } from './group-membership.ts';

/** Who is making a request, and what it may do. */
export interface Principal {
  kind: 'user' | 'service';
  id: number;
  name: string;
  admin: boolean;
  user: UserRow | null;
  service: ServiceRow | null;
  token: TokenRow | null;
  sessionId: string | null;
  /** Expanded, filter-resolved scopes of this request (a token's scopes ∩ its owner's). */
  scopes: Set<string>;
  /** Everything the owner holds: the ceiling for scopes it may hand out to new tokens. */
  ownerScopes: Set<string>;
}

function owner(kind: 'user' | 'service', name: string) {
  return kind === 'user' ? ({ kind: 'user', name } as const) : ({ kind: 'service', name } as const);
}

export async function ownerScopeSet(db: Kysely<Database>, kind: 'user' | 'service', id: number, name: string): Promise<Set<string>> {
  const raw = kind === 'user' ? await scopesOfUser(db, id) : await scopesOfService(db, id);
  const set = expandScopes(raw, owner(kind, name));
  set.delete('inherit');
  return set;
}

/** Effective scopes of a request made with `requested` scopes on behalf of an owner holding `ownerSet`. */
export async function effectiveScopes(db: Kysely<Database>, requested: string[], kind: 'user' | 'service', name: string, ownerSet: Set<string>): Promise<Set<string>> {
  const who = owner(kind, name);
  const asked = expandScopes([...requested, ...identifyScopes(who)], who);
  if (asked.has('inherit')) return new Set(ownerSet);
  const groupsOf = await groupMembership(db, [asked, ownerSet]);
  return intersectScopes(asked, ownerSet, groupsOf);
}

export async function principalForToken(db: Kysely<Database>, row: TokenRow): Promise<Principal | null> {
  const requested = parseJson<string[]>(row.scopes, []);
  if (row.user_id !== null) {
    const user = await findUserById(db, row.user_id);
    if (!user) return null;
    const ownerSet = await ownerScopeSet(db, 'user', user.id, user.name);
    return {
      kind: 'user', id: user.id, name: user.name, admin: user.admin === 1, user, service: null,
      token: row, sessionId: row.session_id,
      scopes: await effectiveScopes(db, requested, 'user', user.name, ownerSet),
      ownerScopes: ownerSet,
    };
  }
  if (row.service_id !== null) {
    const service = await findServiceById(db, row.service_id);
    if (!service) return null;
    const ownerSet = await ownerScopeSet(db, 'service', service.id, service.name);
    return {
      kind: 'service', id: service.id, name: service.name, admin: service.admin === 1, user: null, service,
      token: row, sessionId: null,
      scopes: await effectiveScopes(db, requested, 'service', service.name, ownerSet),
      ownerScopes: ownerSet,
    };
  }
  return null;
}
