/**
 * The JupyterHub 5.x scope vocabulary, scope syntax, and custom-scope definitions.
 * Descriptions are ours; names and the subscope graph must match upstream exactly,
 * because tokens, roles and OAuth clients store these strings.
 */

export type ScopeDefinition = { readonly description: string; readonly subscopes: readonly string[] };

const def = (description: string, subscopes: readonly string[] = []): ScopeDefinition =>
  Object.freeze({ description, subscopes: Object.freeze([...subscopes]) });

export const SCOPE_TABLE: Readonly<Record<string, ScopeDefinition>> = Object.freeze({
  'admin-ui': def('Open the admin page; what can be done there is granted by other scopes.'),

  'admin:users': def(
    'Create, change and delete users, including their auth state; effectively full control of accounts.',
    ['admin:auth_state', 'users', 'read:roles:users', 'delete:users'],
  ),
  'admin:auth_state': def('See the authentication state stored for a user.'),
  users: def('Read and update user models (not their servers, tokens or auth state).', [
    'read:users',
    'list:users',
    'users:activity',
  ]),
  'delete:users': def('Remove users.'),
  'list:users': def('Enumerate users, with at least their names.', ['read:users:name']),
  'read:users': def('Read user models, including the default server URL when it runs.', [
    'read:users:name',
    'read:users:groups',
    'read:users:activity',
  ]),
  'read:users:name': def('See user names.'),
  'read:users:groups': def('See which groups a user is in.'),
  'read:users:activity': def('See when a user was last active.'),
  'users:activity': def('Report user activity (last-activity timestamps).', ['read:users:activity']),

  'read:roles': def('See which roles are assigned.', ['read:roles:users', 'read:roles:services', 'read:roles:groups']),
  'read:roles:users': def('See the roles assigned to users.'),
  'read:roles:services': def('See the roles assigned to services.'),
  'read:roles:groups': def('See the roles assigned to groups.'),

  'admin:servers': def('Full control of user servers, including their stored spawner state.', [
    'admin:server_state',
    'servers',
  ]),
  'admin:server_state': def('Read and change the spawner state kept for user servers.'),
  servers: def('Start, stop and inspect user servers.', ['read:servers', 'start:servers', 'delete:servers']),
  'read:servers': def('See user names and their server models, without spawner state.', ['read:users:name']),
  'start:servers': def('Start user servers.'),
  'delete:servers': def('Stop user servers and remove named ones.'),

  tokens: def('Create, list and revoke user API tokens.', ['read:tokens']),
  'read:tokens': def('List user API tokens.'),

  'admin:groups': def('Create and delete groups and edit everything about them.', [
    'groups',
    'read:roles:groups',
    'delete:groups',
  ]),
  groups: def('Edit groups, including their membership (which can change permissions).', [
    'read:groups',
    'list:groups',
  ]),
  'list:groups': def('Enumerate groups, with at least their names.', ['read:groups:name']),
  'read:groups': def('Read group models.', ['read:groups:name']),
  'read:groups:name': def('See group names.'),
  'delete:groups': def('Remove groups.'),

  'admin:services': def(
    'Create, read, change and delete services added at runtime (config-file services stay untouched).',
    ['list:services', 'read:services', 'read:roles:services'],
  ),
  'list:services': def('Enumerate services, with at least their names.', ['read:services:name']),
  'read:services': def('Read service models.', ['read:services:name']),
  'read:services:name': def('See service names.'),

  'read:hub': def('See detailed information about the hub itself.'),
  'access:servers': def('Use user servers, by API or in the browser.'),
  'access:services': def('Use services, by API or in the browser.'),

  shares: def('Grant and revoke access to shared servers.', [
    'access:servers',
    'read:shares',
    'users:shares',
    'groups:shares',
  ]),
  'read:shares': def('See who a server is shared with.'),
  'users:shares': def("Inspect and revoke a user's access to servers shared with them.", ['read:users:shares']),
  'read:users:shares': def('See the servers shared with a user.'),
  'groups:shares': def("Inspect and revoke a group's access to servers shared with it.", ['read:groups:shares']),
  'read:groups:shares': def('See the servers shared with a group.'),

  proxy: def("Read the proxy's routing table and resynchronise the hub with the proxy."),
  shutdown: def('Stop the hub.'),
  'read:metrics': def('Read the Prometheus metrics.'),
});

/**
 * Metascopes are resolved by expansion (self, (no_scope)) or by the caller (inherit); they take no filter.
 * `(no_scope)` grants nothing: a role or token holding only it is valid and can only say who its owner is.
 */
export const METASCOPES: Readonly<Record<'self' | 'inherit' | '(no_scope)', string>> = Object.freeze({
  self: "Everything about your own account (a user's own resources; nothing for a service).",
  inherit: 'Everything the owner of the token can do.',
  '(no_scope)': 'Nothing beyond who the owner is (a token or role that grants no permissions).',
});

export type FilterKind = 'user' | 'server' | 'group' | 'service';
/** value null = a bare filter such as `!user`, resolved later from the owner. */
export type ScopeFilter = { kind: FilterKind; value: string | null };
export type ParsedScope = { base: string; filter: null | ScopeFilter };

export class ScopeError extends Error {
  readonly scope: string;
  constructor(scope: string, message?: string) {
    super(message ?? `Scope '${scope}' does not exist`);
    this.name = 'ScopeError';
    this.scope = scope;
  }
}

const FILTER_KINDS: ReadonlySet<string> = new Set(['user', 'server', 'group', 'service']);
// upstream has no way to resolve a bare !group (groups never own tokens), so it is not valid syntax
const BARE_FILTER_KINDS: ReadonlySet<string> = new Set(['user', 'server', 'service']);

/** Split `base!kind=value`; throws ScopeError on a malformed filter. Does not check that `base` exists. */
export function parseScope(scope: string): ParsedScope {
  const bang = scope.indexOf('!');
  if (bang === -1) return { base: scope, filter: null };
  const base = scope.slice(0, bang);
  const filter = scope.slice(bang + 1);
  const eq = filter.indexOf('=');
  const kind = eq === -1 ? filter : filter.slice(0, eq);
  if (!FILTER_KINDS.has(kind)) {
    throw new ScopeError(scope, `Scope filter '!${filter}' in scope '${scope}' does not exist`);
  }
  if (eq === -1) {
    if (!BARE_FILTER_KINDS.has(kind)) {
      throw new ScopeError(scope, `Scope filter '!${filter}' in scope '${scope}' needs a value`);
    }
    return { base, filter: { kind: kind as FilterKind, value: null } };
  }
  const value = filter.slice(eq + 1);
  if (value === '') throw new ScopeError(scope, `Empty filter value in scope '${scope}'`);
  return { base, filter: { kind: kind as FilterKind, value } };
}

export const formatScope = (base: string, kind: FilterKind, value: string): string => `${base}!${kind}=${value}`;

// ---- custom scopes (config `custom_scopes`) ----

export type CustomScopeDefinition = { description: string; subscopes?: readonly string[] };
/** Either just the names, or upstream's `custom_scopes` mapping (which may declare subscopes). */
export type CustomScopes = Iterable<string> | Readonly<Record<string, CustomScopeDefinition>>;

export const CUSTOM_SCOPE_PATTERN = /^custom:[a-z0-9][a-z0-9_\-*:]+[a-z0-9_*]$/;

function isIterable(x: unknown): x is Iterable<string> {
  return typeof x === 'object' && x !== null && Symbol.iterator in x;
}

/** Normalises CustomScopes to name -> direct subscopes; names outside the `custom:` namespace are ignored. */
export function customScopeMap(custom: CustomScopes | undefined): ReadonlyMap<string, readonly string[]> {
  const out = new Map<string, readonly string[]>();
  if (custom === undefined) return out;
  if (typeof custom === 'string') {
    // a lone string is iterable by character; treat it as one name instead
    if (custom.startsWith('custom:')) out.set(custom, []);
    return out;
  }
  if (isIterable(custom)) {
    for (const name of custom) if (name.startsWith('custom:')) out.set(name, []);
  } else {
    for (const [name, d] of Object.entries(custom)) if (name.startsWith('custom:')) out.set(name, d.subscopes ?? []);
  }
  return out;
}

/** Errors in a `custom_scopes` mapping, as upstream's define_custom_scopes would raise them. */
export function validateCustomScopes(defs: unknown): string[] {
  if (typeof defs !== 'object' || defs === null || Array.isArray(defs))
    return ['custom_scopes must be a mapping of scope name to definition'];
  const errors: string[] = [];
  const entries = Object.entries(defs as Record<string, unknown>);
  const names = new Set(entries.map(([n]) => n));
  for (const [name, d] of entries) {
    if (!CUSTOM_SCOPE_PATTERN.test(name)) {
      errors.push(
        `Invalid custom scope name '${name}': it must start with 'custom:', use only a-z 0-9 - _ : *, start (after 'custom:') with a letter or digit, and not end with '-' or ':'`,
      );
    }
    if (typeof d !== 'object' || d === null || Array.isArray(d)) {
      errors.push(`Custom scope '${name}' must be a mapping with a 'description'`);
      continue;
    }
    const rec = d as Record<string, unknown>;
    if (typeof rec.description !== 'string') errors.push(`Custom scope '${name}' is missing its 'description'`);
    const subs = rec.subscopes;
    if (subs === undefined) continue;
    if (!Array.isArray(subs) || !subs.every((s) => typeof s === 'string')) {
      errors.push(`Subscopes of custom scope '${name}' must be a list of scope names`);
      continue;
    }
    for (const s of subs as string[]) {
      if (names.has(s)) continue;
      errors.push(
        Object.hasOwn(SCOPE_TABLE, s)
          ? `Custom scope '${name}' cannot have the built-in subscope '${s}'; use a role to grant scopes together`
          : `Subscope '${s}' of custom scope '${name}' is not defined`,
      );
    }
  }
  return errors;
}

/** True if `scope` is a built-in, listed custom scope or metascope, with a well-formed filter if any. */
export function isKnownScope(scope: string, customScopes?: CustomScopes): boolean {
  let parsed: ParsedScope;
  try {
    parsed = parseScope(scope);
  } catch {
    return false;
  }
  if (Object.hasOwn(METASCOPES, parsed.base)) return parsed.filter === null;
  if (Object.hasOwn(SCOPE_TABLE, parsed.base)) return true;
  return customScopeMap(customScopes).has(parsed.base);
}

/** Human description of a scope name (filters ignored), or undefined if unknown. */
export function describeScope(
  scope: string,
  customScopes?: Readonly<Record<string, CustomScopeDefinition>>,
): string | undefined {
  const base = scope.split('!', 1)[0] ?? scope;
  if (Object.hasOwn(SCOPE_TABLE, base)) return SCOPE_TABLE[base]?.description;
  if (base === 'self' || base === 'inherit' || base === '(no_scope)') return METASCOPES[base];
  return customScopes?.[base]?.description;
}
