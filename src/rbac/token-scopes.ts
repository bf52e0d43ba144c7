/**
 * Scopes that follow from who owns a token and which OAuth client issued it, and the
 * token's effective scopes: what it asks for, never more than its owner holds.
 */
import { expandScopes, reduceScopes } from './expand.ts';
import type { ExpandOptions, OAuthClientTarget, ScopeOwner } from './expand.ts';
import { intersectScopes } from './intersect.ts';

/** The minimum every credential has on its owner: enough to answer "who am I". */
export function identifyScopes(owner: ScopeOwner): Set<string> {
  if (owner.kind === 'user')
    return new Set([`read:users:name!user=${owner.name}`, `read:users:groups!user=${owner.name}`]);
  return new Set([`read:services:name!service=${owner.name}`]);
}

/** An OAuth token may always be used on the server or service that issued it (if the owner may). */
export function accessScopes(client: OAuthClientTarget): Set<string> {
  if (client.kind === 'server') return new Set([`access:servers!server=${client.user}/${client.server}`]);
  return new Set([`access:services!service=${client.name}`]);
}

export type TokenScopeInput = {
  /** raw scopes stored on the token */
  tokenScopes: Iterable<string>;
  /** the owner's expanded scopes (roles, group roles and shares) */
  ownerScopes: ReadonlySet<string>;
  owner: ScopeOwner;
  groupsOf: (user: string) => readonly string[];
} & ExpandOptions;

/**
 * (expand(token) ∪ identify ∪ access-to-issuing-client) ∩ owner. A token holding `inherit`
 * gets exactly the owner's scopes, whatever else it lists.
 */
export function effectiveTokenScopes(input: TokenScopeInput): Set<string> {
  const raw = [...input.tokenScopes];
  if (raw.includes('inherit')) return new Set(input.ownerScopes);
  const wanted = expandScopes(raw, input.owner, input);
  if (input.oauthClient) for (const s of accessScopes(input.oauthClient)) wanted.add(s);
  for (const s of identifyScopes(input.owner)) wanted.add(s);
  return intersectScopes(reduceScopes(wanted), input.ownerScopes, input.groupsOf);
}

/**
 * The expanded scopes a new token would ask for beyond what its owner holds (empty = allowed).
 * Used to refuse token creation with 400, as upstream does.
 */
export function excessTokenScopes(input: TokenScopeInput): Set<string> {
  const raw = [...input.tokenScopes].filter((s) => s !== 'inherit');
  const wanted = expandScopes(raw, input.owner, input);
  wanted.delete('inherit');
  if (wanted.size === 0) return wanted;
  const allowed = intersectScopes(wanted, input.ownerScopes, input.groupsOf);
  return new Set([...wanted].filter((s) => !allowed.has(s)));
}
