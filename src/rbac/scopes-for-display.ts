/**
 * The `scopes` lists shown to clients: `GET /hub/api/user` and the Token model.
 */
import type { ScopeOwner } from './expand.ts';
import { identifyScopes } from './token-scopes.ts';

// Code-unit order, like Python's sorted() on these ASCII strings; localeCompare would differ.
const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** A sorted array of expanded scopes. */
export function sortedScopes(scopes: Iterable<string>): string[] {
  return [...new Set(scopes)].sort(byCodeUnit);
}

/**
 * For `GET /hub/api/user`: every credential may read its own identity, so the handler authorizes
 * the model with `authorize` (held ∪ identify scopes), but lists only what the request really holds:
 * identify scopes it lacked are left out of `display`, as upstream does.
 */
export function whoamiScopes(
  held: ReadonlySet<string>,
  owner: ScopeOwner,
): { authorize: Set<string>; display: string[] } {
  const authorize = new Set(held);
  for (const s of identifyScopes(owner)) authorize.add(s);
  return { authorize, display: sortedScopes(held) };
}
