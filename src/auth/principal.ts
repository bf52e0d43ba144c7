import type { Kysely } from 'kysely';
import { compiledQuery } from '../db/compiled-query.ts';
import type { Database, ServiceRow, TokenRow, UserRow } from '../db/index.ts';
import { parseJson } from '../lib/json.ts';
import {
  effectiveTokenScopes,
  expandScopes,
  identifyScopes,
  isKnownScope,
  accessScopes,
  type CustomScopes,
  type OAuthClientTarget,
  type ScopeOwner,
} from '../rbac/index.ts';
import { scopesOfService, scopesOfUser } from '../repo/roles.ts';
import { findServiceById } from '../repo/services.ts';
import { scopesSharedWith } from '../shares/repo.ts';
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

/**
 * A user acting with everything they hold (a login session, a password given with a token request), or
 * through a token whose `scopes` narrow that.
 */
export function userPrincipal(
  user: UserRow,
  ownerScopes: Set<string>,
  via: { token?: TokenRow | null; sessionId?: string | null; scopes?: Set<string> } = {},
): Principal {
  return {
    kind: 'user',
    id: user.id,
    name: user.name,
    admin: user.admin === 1,
    user,
    service: null,
    token: via.token ?? null,
    sessionId: via.sessionId ?? null,
    scopes: via.scopes ?? ownerScopes,
    ownerScopes,
  };
}

/** What scope expansion needs from the config: the `custom_scopes` roles and tokens may name. */
export interface ScopeOptions {
  customScopes?: CustomScopes;
}

function owner(kind: 'user' | 'service', name: string): ScopeOwner {
  return kind === 'user' ? { kind: 'user', name } : { kind: 'service', name };
}

// A stored scope that is no longer known (a custom scope dropped from the config) grants nothing; it must
// not make every request of its holder fail.
function known(scopes: string[], opts: ScopeOptions): string[] {
  return scopes.filter((s) => isKnownScope(s, opts.customScopes));
}

export async function ownerScopeSet(
  db: Kysely<Database>,
  kind: 'user' | 'service',
  id: number,
  name: string,
  opts: ScopeOptions = {},
): Promise<Set<string>> {
  // A user also holds what servers shared with it (or its groups) grant, as upstream's shared_with_me.
  const raw =
    kind === 'user'
      ? [...(await scopesOfUser(db, id)), ...(await scopesSharedWith(db, id))]
      : await scopesOfService(db, id);
  const set = expandScopes(known(raw, opts), owner(kind, name), opts);
  set.delete('inherit');
  return set;
}

/**
 * Effective scopes of a token with `requested` scopes whose owner holds `ownerSet`:
 * (expand(requested) ∪ identify ∪ access to the issuing OAuth client) ∩ owner.
 */
export async function effectiveScopes(
  db: Kysely<Database>,
  requested: string[],
  kind: 'user' | 'service',
  name: string,
  ownerSet: Set<string>,
  opts: ScopeOptions & { oauthClient?: OAuthClientTarget | null } = {},
): Promise<Set<string>> {
  const who = owner(kind, name);
  const tokenScopes = known(requested, opts);
  if (tokenScopes.includes('inherit')) return new Set(ownerSet);
  const asked = expandScopes([...tokenScopes, ...identifyScopes(who)], who, opts);
  if (opts.oauthClient) for (const s of accessScopes(opts.oauthClient)) asked.add(s);
  const groupsOf = await groupMembership(db, [asked, ownerSet]);
  return effectiveTokenScopes({ tokenScopes, ownerScopes: ownerSet, owner: who, groupsOf, ...opts });
}

// Asked for every OAuth token seen for the first time (each user's server answers with them): compiled once.
const serviceByClient = compiledQuery((db, a: { clientId: string }) =>
  db.selectFrom('services').select('name').where('oauth_client_id', '=', a.clientId),
);
const serverByClient = compiledQuery((db, a: { clientId: string }) =>
  db
    .selectFrom('spawners')
    .innerJoin('users', 'users.id', 'spawners.user_id')
    .select(['users.name as user', 'spawners.name as server'])
    .where('spawners.oauth_client_id', '=', a.clientId),
);

/** The server or service an OAuth client id belongs to (null for plain API tokens or unknown clients). */
export async function oauthClientTarget(db: Kysely<Database>, clientId: string): Promise<OAuthClientTarget | null> {
  if (clientId === 'jupyterhub') return null;
  const service = await serviceByClient.first(db, { clientId });
  if (service) return { kind: 'service', name: service.name };
  const spawner = await serverByClient.first(db, { clientId });
  return spawner ? { kind: 'server', user: spawner.user, server: spawner.server } : null;
}

/** Where an owner's expanded scopes come from: the database by default, a cache (PrincipalCache) when given. */
export type OwnerScopesLookup = (kind: 'user' | 'service', id: number, name: string) => Promise<Set<string>>;

export async function principalForToken(
  db: Kysely<Database>,
  row: TokenRow,
  opts: ScopeOptions = {},
  ownerScopes: OwnerScopesLookup = (kind, id, name) => ownerScopeSet(db, kind, id, name, opts),
): Promise<Principal | null> {
  const requested = parseJson<string[]>(row.scopes, []);
  const oauthClient = await oauthClientTarget(db, row.client_id);
  if (row.user_id !== null) {
    const user = await findUserById(db, row.user_id);
    if (!user) return null;
    const ownerSet = await ownerScopes('user', user.id, user.name);
    const scopes = await effectiveScopes(db, requested, 'user', user.name, ownerSet, { ...opts, oauthClient });
    return userPrincipal(user, ownerSet, { token: row, sessionId: row.session_id, scopes });
  }
  if (row.service_id !== null) {
    const service = await findServiceById(db, row.service_id);
    if (!service) return null;
    const ownerSet = await ownerScopes('service', service.id, service.name);
    return {
      kind: 'service',
      id: service.id,
      name: service.name,
      admin: service.admin === 1,
      user: null,
      service,
      token: row,
      sessionId: null,
      scopes: await effectiveScopes(db, requested, 'service', service.name, ownerSet, { ...opts, oauthClient }),
      ownerScopes: ownerSet,
    };
  }
  return null;
}
