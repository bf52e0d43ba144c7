/**
 * Access decisions on expanded scope sets: the per-request check every REST handler makes,
 * and the filters list endpoints apply to their results.
 */

/** What a request addresses. `server: ''` is the default server; `groups` are the owning user's groups. */
export type Resource =
  | { kind: 'user'; name: string; groups: string[] }
  | { kind: 'server'; user: string; server: string; groups: string[] }
  | { kind: 'group'; name: string }
  | { kind: 'service'; name: string };

export type AccessResult = 'ok' | 'not_found' | 'forbidden';

function heldForResource(held: ReadonlySet<string>, scope: string, r: Resource): boolean {
  switch (r.kind) {
    case 'user':
      return held.has(`${scope}!user=${r.name}`) || r.groups.some((g) => held.has(`${scope}!group=${g}`));
    case 'server':
      return (
        held.has(`${scope}!server=${r.user}/${r.server}`) ||
        held.has(`${scope}!user=${r.user}`) ||
        r.groups.some((g) => held.has(`${scope}!group=${g}`))
      );
    case 'group':
      return held.has(`${scope}!group=${r.name}`);
    case 'service':
      return held.has(`${scope}!service=${r.name}`);
  }
}

/** Held at all, with or without a filter. */
export function holdsInAnyForm(held: ReadonlySet<string>, scope: string): boolean {
  if (held.has(scope)) return true;
  const prefix = `${scope}!`;
  for (const s of held) if (s.startsWith(prefix)) return true;
  return false;
}

/**
 * 'ok' if some scope of `anyOf` is held unfiltered or with a filter covering `resource`;
 * 'not_found' if one is held only for other resources (upstream answers 404 so as not to reveal
 * what exists); 'forbidden' (403) if none is held at all. A null resource (list endpoints,
 * hub-wide actions) is satisfied by any form, the caller then filtering results.
 */
export function checkAccess(
  held: ReadonlySet<string>,
  anyOf: readonly string[],
  resource: Resource | null,
): AccessResult {
  for (const scope of anyOf) if (held.has(scope)) return 'ok';
  if (resource === null) {
    return anyOf.some((s) => holdsInAnyForm(held, s)) ? 'ok' : 'forbidden';
  }
  for (const scope of anyOf) if (heldForResource(held, scope, resource)) return 'ok';
  return anyOf.some((s) => holdsInAnyForm(held, s)) ? 'not_found' : 'forbidden';
}

export type ScopeFilterSet =
  | { all: true }
  | { all: false; users: Set<string>; groups: Set<string>; servers: Set<string>; services: Set<string> };

/** The resources `scope` is held for, for post-filtering lists; null if not held at all. */
export function scopeFilter(held: ReadonlySet<string>, scope: string): ScopeFilterSet | null {
  if (held.has(scope)) return { all: true };
  const prefix = `${scope}!`;
  const f = {
    all: false as const,
    users: new Set<string>(),
    groups: new Set<string>(),
    servers: new Set<string>(),
    services: new Set<string>(),
  };
  let found = false;
  for (const s of held) {
    if (!s.startsWith(prefix)) continue;
    const filter = s.slice(prefix.length);
    const eq = filter.indexOf('=');
    if (eq === -1) continue;
    const kind = filter.slice(0, eq);
    const value = filter.slice(eq + 1);
    const target =
      kind === 'user'
        ? f.users
        : kind === 'group'
          ? f.groups
          : kind === 'server'
            ? f.servers
            : kind === 'service'
              ? f.services
              : null;
    if (target === null) continue;
    target.add(value);
    found = true;
  }
  return found ? f : null;
}

const anyIn = (names: Iterable<string>, set: ReadonlySet<string>): boolean => {
  for (const n of names) if (set.has(n)) return true;
  return false;
};

export function filterAllowsUser(f: ScopeFilterSet, name: string, groups: Iterable<string>): boolean {
  return f.all || f.users.has(name) || anyIn(groups, f.groups);
}

export function filterAllowsServer(f: ScopeFilterSet, user: string, server: string, groups: Iterable<string>): boolean {
  return f.all || f.servers.has(`${user}/${server}`) || f.users.has(user) || anyIn(groups, f.groups);
}

export function filterAllowsGroup(f: ScopeFilterSet, name: string): boolean {
  return f.all || f.groups.has(name);
}

export function filterAllowsService(f: ScopeFilterSet, name: string): boolean {
  return f.all || f.services.has(name);
}
