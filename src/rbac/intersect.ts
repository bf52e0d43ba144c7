/**
 * Intersection of two expanded scope sets, honouring the filter hierarchy
 * group ⊇ user ⊇ server: what both sides allow, expressed as narrowly as needed.
 * Mirrors upstream's _intersect_expanded_scopes with group membership always resolvable.
 */
import { parseExpanded, unparseScopes } from './expand.ts';
import type { EntityFilters, ParsedScopes } from './expand.ts';
import type { FilterKind } from './scope-table.ts';

const EMPTY: ReadonlySet<string> = new Set();

const userOfServer = (server: string): string => {
  const slash = server.indexOf('/');
  return slash === -1 ? server : server.slice(0, slash);
};

function intersectFilters(
  a: EntityFilters,
  b: EntityFilters,
  groupsOf: (user: string) => readonly string[],
): EntityFilters {
  const out: EntityFilters = new Map();
  for (const [kind, values] of a) {
    const other = b.get(kind);
    if (other === undefined) continue;
    out.set(kind, new Set([...values].filter((v) => other.has(v))));
  }
  const inAnyGroup = (user: string, groups: ReadonlySet<string> | undefined): boolean =>
    groups !== undefined && groups.size > 0 && groupsOf(user).some((g) => groups.has(g));

  const servers = new Set(out.get('server') ?? EMPTY);
  const users = new Set(out.get('user') ?? EMPTY);
  for (const [x, y] of [
    [a, b],
    [b, a],
  ] as const) {
    // a server on one side survives if the other side covers it through its user or one of the user's groups
    for (const s of x.get('server') ?? EMPTY) {
      if (servers.has(s)) continue;
      const u = userOfServer(s);
      if (y.get('user')?.has(u) || inAnyGroup(u, y.get('group'))) servers.add(s);
    }
    // a user on one side survives if the other side covers them through group membership
    for (const u of x.get('user') ?? EMPTY) {
      if (!users.has(u) && inAnyGroup(u, y.get('group'))) users.add(u);
    }
  }
  if (servers.size > 0) out.set('server', servers);
  if (users.size > 0) out.set('user', users);
  for (const [kind, values] of out) if (values.size === 0) out.delete(kind as FilterKind);
  return out;
}

/**
 * `a ∩ b` for expanded sets. Unfiltered ∩ filtered = filtered; `!user=u ∩ !group=g` = `!user=u`
 * when u ∈ g; `!server=u/s ∩ !user=u` = `!server=u/s`; `!server=u/s ∩ !group=g` = the server when u ∈ g.
 * `groupsOf` is asked only when group filters meet user or server filters.
 */
export function intersectScopes(
  a: ReadonlySet<string>,
  b: ReadonlySet<string>,
  groupsOf: (user: string) => readonly string[],
): Set<string> {
  const memo = new Map<string, readonly string[]>();
  const cachedGroupsOf = (user: string): readonly string[] => {
    let g = memo.get(user);
    if (g === undefined) {
      g = groupsOf(user);
      memo.set(user, g);
    }
    return g;
  };
  const pa = parseExpanded(a);
  const pb = parseExpanded(b);
  const common: ParsedScopes = new Map();
  for (const [base, fa] of pa) {
    const fb = pb.get(base);
    if (fb === undefined) continue;
    if (fa === 'all') common.set(base, fb);
    else if (fb === 'all') common.set(base, fa);
    else common.set(base, intersectFilters(fa, fb, cachedGroupsOf));
  }
  return unparseScopes(common);
}
