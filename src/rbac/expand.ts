/**
 * Scope expansion: raw scopes (as written in roles and tokens) -> the flat set of
 * concrete `scope` / `scope!kind=value` strings that access checks work on.
 */
import { customScopeMap, parseScope, ScopeError, SCOPE_TABLE } from './scope-table.ts';
import type { CustomScopes, FilterKind } from './scope-table.ts';

/** Who holds the scopes. `server` ("user/server") is what a bare `!server` resolves to, if given. */
export type ScopeOwner =
  | { kind: 'user'; name: string; server?: string }
  | { kind: 'service'; name: string; server?: string };

/** The OAuth client that issued a token; its service or server wins over the owner for bare filters. */
export type OAuthClientTarget = { kind: 'service'; name: string } | { kind: 'server'; user: string; server: string };

export type ExpandOptions = { customScopes?: CustomScopes; oauthClient?: OAuthClientTarget | null };

// The metascope `self` grants these, each filtered to the user (subscopes added by expansion).
export const SELF_SCOPES: readonly string[] = Object.freeze([
  'read:users',
  'users:shares',
  'read:shares',
  'users:activity',
  'servers',
  'tokens',
  'access:servers',
]);

/** A scope name and all the scopes it implies, transitively. Throws ScopeError for an unknown name. */
export function subscopeClosure(name: string, customScopes?: CustomScopes): Set<string> {
  return closure(name, customScopeMap(customScopes));
}

function closure(name: string, custom: ReadonlyMap<string, readonly string[]>): Set<string> {
  const out = new Set<string>();
  const visit = (n: string): void => {
    if (out.has(n)) return;
    const subs = Object.hasOwn(SCOPE_TABLE, n) ? SCOPE_TABLE[n]?.subscopes : custom.get(n);
    if (subs === undefined) throw new ScopeError(n);
    out.add(n);
    for (const s of subs) visit(s);
  };
  visit(name);
  return out;
}

function bareFilterTarget(
  kind: FilterKind,
  owner: ScopeOwner | null,
  client: OAuthClientTarget | null | undefined,
): string | null {
  if (kind === 'user') return owner?.kind === 'user' ? owner.name : null;
  if (kind === 'service') {
    if (client?.kind === 'service') return client.name;
    return owner?.kind === 'service' ? owner.name : null;
  }
  if (kind === 'server') {
    if (client?.kind === 'server') return `${client.user}/${client.server}`;
    return owner?.server ?? null;
  }
  return null;
}

/**
 * Expand raw scopes for `owner`: resolve `self` and bare filters, add transitive subscopes
 * (each keeping the filter), and collapse filtered copies of scopes also held unfiltered.
 * `inherit` is passed through as the literal string; the caller substitutes the owner's scopes.
 * A bare filter that cannot be resolved drops that scope, as upstream does.
 */
export function expandScopes(
  scopes: Iterable<string>,
  owner: ScopeOwner | null,
  opts: ExpandOptions = {},
): Set<string> {
  const custom = customScopeMap(opts.customScopes);
  const out = new Set<string>();
  for (const raw of scopes) {
    const { base, filter } = parseScope(raw);
    if (base === 'self' || base === 'inherit' || base === '(no_scope)') {
      if (filter !== null) throw new ScopeError(raw, `Metascope '${base}' cannot take a filter: '${raw}'`);
      if (base === 'inherit') out.add('inherit');
      else if (base === 'self' && owner?.kind === 'user') {
        for (const s of SELF_SCOPES) for (const n of closure(s, custom)) out.add(`${n}!user=${owner.name}`);
      }
      continue;
    }
    const names = closure(base, custom);
    if (filter === null) {
      for (const n of names) out.add(n);
      continue;
    }
    const value = filter.value ?? bareFilterTarget(filter.kind, owner, opts.oauthClient);
    if (value === null) continue;
    for (const n of names) {
      // a server-scoped grant must not reveal the owning user's model (upstream drops every read:user* scope)
      if (filter.kind === 'server' && n.startsWith('read:user')) continue;
      out.add(`${n}!${filter.kind}=${value}`);
    }
  }
  return reduceScopes(out);
}

// ---- parsed form of expanded scopes ----

export type EntityFilters = Map<FilterKind, Set<string>>;
/** base -> 'all' (held unfiltered) or the filter values it is held for. */
export type ParsedScopes = Map<string, 'all' | EntityFilters>;

/** Parse an expanded set; bare filters are not allowed here (expand first). */
export function parseExpanded(scopes: Iterable<string>): ParsedScopes {
  const parsed: ParsedScopes = new Map();
  for (const s of scopes) {
    const { base, filter } = parseScope(s);
    if (filter === null) {
      parsed.set(base, 'all');
      continue;
    }
    if (filter.value === null) throw new ScopeError(s, `Unexpanded filter in '${s}'; expand scopes first`);
    const cur = parsed.get(base);
    if (cur === 'all') continue;
    const filters = cur ?? new Map<FilterKind, Set<string>>();
    if (cur === undefined) parsed.set(base, filters);
    let values = filters.get(filter.kind);
    if (values === undefined) {
      values = new Set();
      filters.set(filter.kind, values);
    }
    values.add(filter.value);
  }
  return parsed;
}

export function unparseScopes(parsed: ParsedScopes): Set<string> {
  const out = new Set<string>();
  for (const [base, filters] of parsed) {
    if (filters === 'all') {
      out.add(base);
      continue;
    }
    for (const [kind, values] of filters) for (const v of values) out.add(`${base}!${kind}=${v}`);
  }
  return out;
}

/** Drop filtered copies of scopes that are also held unfiltered. */
export function reduceScopes(scopes: Iterable<string>): Set<string> {
  const list = [...scopes];
  const unfiltered = new Set(list.filter((s) => !s.includes('!')));
  return new Set(
    list.filter((s) => {
      const bang = s.indexOf('!');
      return bang === -1 || !unfiltered.has(s.slice(0, bang));
    }),
  );
}
