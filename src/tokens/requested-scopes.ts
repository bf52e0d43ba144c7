import type { Kysely } from 'kysely';
import type { Database, RoleRow } from '../db/index.ts';
import type { Config } from '../config/index.ts';
import { invalidRequest } from '../errors/index.ts';
import { parseJson } from '../lib/json.ts';
import { expandScopes, intersectScopes, isKnownScope, ScopeError } from '../rbac/index.ts';
import { findRole } from '../repo/roles.ts';
import { groupMembership } from '../auth/group-membership.ts';

/**
 * The scopes a new token asks for: explicit `scopes`, plus those of named `roles`, or by default the
 * `token` role's (normally ['inherit']). Rejects unknown names and anything the owner does not hold.
 * `roleNamed` finds roles (by default in the database; the hub passes its cache).
 */
export async function requestedTokenScopes(
  db: Kysely<Database>,
  config: Config,
  body: { scopes?: string[] | null; roles?: string[] | null },
  owner: { kind: 'user' | 'service'; name: string },
  ownerScopes: Set<string>,
  roleNamed: (name: string) => Promise<RoleRow | undefined> = (name) => findRole(db, name),
): Promise<string[]> {
  const custom = Object.keys(config.custom_scopes ?? {});
  let requested: string[] = [];
  if (body.scopes == null && body.roles == null) {
    const tokenRole = await roleNamed('token');
    requested = tokenRole ? parseJson<string[]>(tokenRole.scopes, ['inherit']) : ['inherit'];
  }
  for (const s of body.scopes ?? []) {
    if (!isKnownScope(s, custom)) throw invalidRequest(`Not assigning requested scopes: '${s}' is not a known scope`);
    requested.push(s);
  }
  for (const name of body.roles ?? []) {
    const role = await roleNamed(name);
    if (!role) throw invalidRequest(`Role '${name}' does not exist`);
    requested.push(...parseJson<string[]>(role.scopes, []));
  }
  if (requested.includes('inherit')) return [...new Set(requested)];
  let expanded: Set<string>;
  try {
    expanded = expandScopes(
      requested,
      owner.kind === 'user' ? { kind: 'user', name: owner.name } : { kind: 'service', name: owner.name },
      {
        customScopes: config.custom_scopes,
      },
    );
  } catch (err) {
    if (err instanceof ScopeError) throw invalidRequest(`Not assigning requested scopes: ${err.message}`);
    throw err;
  }
  const held = intersectScopes(expanded, ownerScopes, await groupMembership(db, [expanded, ownerScopes]));
  const beyond = [...expanded].filter((s) => !held.has(s)).sort();
  if (beyond.length > 0) {
    throw invalidRequest(`Not assigning requested scopes ${beyond.join(', ')} not held by ${owner.kind} ${owner.name}`);
  }
  return [...new Set(requested)];
}
