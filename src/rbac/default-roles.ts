/**
 * The built-in roles and the rules for `load_roles` entries (JupyterHub 5.x roles.py and
 * app.py init_role_creation).
 */
import { isKnownScope } from './scope-table.ts';
import type { CustomScopes } from './scope-table.ts';

export type RoleSpec = {
  name: string;
  description?: string;
  scopes?: string[];
  users?: string[];
  services?: string[];
  groups?: string[];
};

export class RoleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RoleError';
  }
}

export const ROLE_NAME_PATTERN = /^[a-z][a-z0-9\-_~.]{1,253}[a-z0-9]$/;

export const DEFAULT_ROLE_NAMES: readonly string[] = Object.freeze(['user', 'admin', 'server', 'token']);

export const ADMIN_SCOPES: readonly string[] = Object.freeze([
  'admin-ui',
  'admin:users',
  'admin:servers',
  'admin:services',
  'tokens',
  'admin:groups',
  'list:services',
  'read:services',
  'read:hub',
  'proxy',
  'shutdown',
  'access:services',
  'access:servers',
  'read:roles',
  'read:metrics',
  'shares',
]);

const ADMIN_DESCRIPTION = 'Full control of the hub';

/** The four built-in roles; `extraUserScopes` are appended to the `user` role's [self]. */
export function defaultRoles(extraUserScopes: readonly string[] = []): RoleSpec[] {
  return [
    {
      name: 'user',
      description: 'What every user may do with their own account',
      scopes: ['self', ...extraUserScopes],
    },
    { name: 'admin', description: ADMIN_DESCRIPTION, scopes: [...ADMIN_SCOPES] },
    // granted to single-user servers' own tokens: report activity, and let the server check its users' access
    {
      name: 'server',
      description: 'Report activity and check access, for a single-user server',
      scopes: ['users:activity!user', 'access:servers!server'],
    },
    { name: 'token', description: "Everything the token's owner may do", scopes: ['inherit'] },
  ];
}

export const DEFAULT_ROLES: readonly Readonly<RoleSpec>[] = Object.freeze(defaultRoles().map((r) => Object.freeze(r)));

export const isDefaultRoleName = (name: string): boolean => DEFAULT_ROLE_NAMES.includes(name);

const ROLE_KEYS: ReadonlySet<string> = new Set(['name', 'description', 'scopes', 'users', 'services', 'groups']);

const isStringArray = (x: unknown): x is string[] => Array.isArray(x) && x.every((v) => typeof v === 'string');

const sameScopeSet = (a: readonly string[], b: readonly string[]): boolean => {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((s) => sb.has(s));
};

/** Errors (for humans) in one `load_roles` entry; an empty list means it is valid. */
export function validateRoleSpec(spec: unknown, customScopes?: CustomScopes): string[] {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) return ['A role definition must be a mapping'];
  const rec = spec as Record<string, unknown>;
  const errors: string[] = [];
  const name = rec.name;
  const label = typeof name === 'string' ? `role '${name}'` : 'role definition';
  if (name === undefined) errors.push('A role definition must have a name');
  else if (typeof name !== 'string') errors.push('Role name must be a string');
  else if (!ROLE_NAME_PATTERN.test(name)) {
    errors.push(
      `Invalid role name '${name}': use 3-255 characters of a-z 0-9 - _ ~ . , starting with a letter and ending with a letter or digit`,
    );
  }
  for (const key of Object.keys(rec)) {
    if (!ROLE_KEYS.has(key)) errors.push(`Unknown key '${key}' in ${label} (allowed: ${[...ROLE_KEYS].join(', ')})`);
  }
  if (rec.description !== undefined && typeof rec.description !== 'string')
    errors.push(`Description of ${label} must be a string`);
  const scopes = rec.scopes;
  if (scopes !== undefined) {
    if (!isStringArray(scopes)) errors.push(`Scopes of ${label} must be a list of strings`);
    else
      for (const s of scopes)
        if (!isKnownScope(s, customScopes)) errors.push(`Scope '${s}' in ${label} does not exist`);
  }
  for (const kind of ['users', 'services', 'groups']) {
    if (rec[kind] !== undefined && !isStringArray(rec[kind]))
      errors.push(`'${kind}' of ${label} must be a list of names`);
  }
  if (name === 'admin') {
    try {
      checkAdminOverride(rec);
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  return errors;
}

/** Errors across the whole `load_roles` list: each entry, plus names defined twice. */
export function validateLoadRoles(specs: unknown, customScopes?: CustomScopes): string[] {
  if (!Array.isArray(specs)) return ['load_roles must be a list of role definitions'];
  const errors = specs.flatMap((s) => validateRoleSpec(s, customScopes));
  const seen = new Set<string>();
  for (const s of specs) {
    const name = (s as { name?: unknown } | null)?.name;
    if (typeof name !== 'string') continue;
    if (seen.has(name)) errors.push(`Role '${name}' is defined more than once in load_roles`);
    seen.add(name);
  }
  return errors;
}

// Upstream refuses any admin description or scope list other than the built-in one; members may change.
function checkAdminOverride(override: Record<string, unknown>): void {
  const desc = override.description;
  if (desc !== undefined && desc !== ADMIN_DESCRIPTION) {
    throw new RoleError(`Cannot override admin role admin.description = ${JSON.stringify(desc)}`);
  }
  const scopes = override.scopes;
  if (scopes !== undefined && !(isStringArray(scopes) && sameScopeSet(scopes, ADMIN_SCOPES))) {
    throw new RoleError(`Cannot override admin role admin.scopes = ${JSON.stringify(scopes)}`);
  }
}

/**
 * A `load_roles` entry naming a default role: keys it gives replace the default's (so `scopes`
 * replaces the list, it is not added to); keys it omits keep the default. Throws RoleError for
 * an admin override that changes description or scopes.
 */
export function mergeRoleOverride(defaultRole: Readonly<RoleSpec>, override: Readonly<RoleSpec>): RoleSpec {
  if (override.name !== defaultRole.name)
    throw new RoleError(`Override '${override.name}' does not match role '${defaultRole.name}'`);
  if (defaultRole.name === 'admin') checkAdminOverride(override as Record<string, unknown>);
  const merged: RoleSpec = { ...defaultRole, ...override };
  if (merged.scopes) merged.scopes = [...merged.scopes];
  return merged;
}

/**
 * The full role list to load at start: defaults not mentioned in `loadRoles`, then each entry,
 * merged with its default when it overrides one. Call validateLoadRoles first.
 */
export function rolesToLoad(loadRoles: readonly RoleSpec[], extraUserScopes: readonly string[] = []): RoleSpec[] {
  const defaults = new Map(defaultRoles(extraUserScopes).map((r) => [r.name, r]));
  const out: RoleSpec[] = [];
  for (const spec of loadRoles) {
    const base = defaults.get(spec.name);
    if (base) {
      defaults.delete(spec.name);
      out.push(mergeRoleOverride(base, spec));
    } else {
      out.push({ ...spec });
    }
  }
  return [...defaults.values(), ...out];
}
