import type { Principal } from '../auth/principal.ts';
import { filterAllowsServer, filterAllowsUser, scopeFilter } from '../rbac/index.ts';
import type { ListedUser } from '../repo/user-list.ts';
import type { UserFacts } from '../repo/users.ts';
import { presentServer, serverReady, serverUrl } from './present-server.ts';

// Which keys of the User model each scope reveals (every one also reveals kind and name).
const FIELDS: Record<string, string[]> = {
  'read:users': ['user_info', 'admin', 'roles', 'groups', 'server', 'pending', 'created', 'last_activity'],
  'read:users:name': ['user_info', 'admin'],
  'read:users:groups': ['groups'],
  'read:users:activity': ['last_activity'],
  'read:servers': ['servers'],
  'read:roles:users': ['roles', 'admin'],
  'admin:auth_state': ['auth_state'],
};

type Filters = Map<string, ReturnType<typeof scopeFilter>>;

/** Scope filters of one request, computed once and reused for every user in a listing. */
export function userFieldFilters(p: Principal): Filters {
  const out: Filters = new Map();
  for (const scope of [...Object.keys(FIELDS), 'admin:server_state']) out.set(scope, scopeFilter(p.scopes, scope));
  return out;
}

export interface PresentOptions {
  baseUrl: string;
  /** The config's public_url, for the servers' full_url and full_progress_url ('' or absent: null). */
  publicUrl?: string;
  /** Show every field regardless of scopes, as JupyterHub does for a freshly created or edited user. */
  full?: boolean;
}

// Every key of the User model, for telling when a caller may see all of them.
const ALL_KEYS = new Set(['kind', 'name', ...Object.values(FIELDS).flat(), 'auth_state', 'servers']);

/**
 * Which model keys the caller sees whatever the user: those of scopes it holds unfiltered. Per-user
 * checks remain only for scopes it holds with a filter (`!user=`, `!group=`), so an admin's listing
 * does no per-user scope work at all.
 */
function keysFor(filters: Filters): {
  everywhere: Set<string>;
  filtered: [NonNullable<ReturnType<typeof scopeFilter>>, string[]][];
} {
  const everywhere = new Set(['kind', 'name']);
  const filtered: [NonNullable<ReturnType<typeof scopeFilter>>, string[]][] = [];
  for (const [scope, fields] of Object.entries(FIELDS)) {
    const f = filters.get(scope);
    if (!f) continue;
    if (f.all) for (const k of fields) everywhere.add(k);
    else filtered.push([f, fields]);
  }
  return { everywhere, filtered };
}

/** Builds User models for rows from their groups, roles and servers (loaded by `loadUserFacts`). */
export function presentUsers(
  rows: ListedUser[],
  facts: UserFacts,
  filters: Filters,
  opts: PresentOptions,
): Record<string, unknown>[] {
  const { groups, roles, spawners } = facts;
  const { everywhere, filtered } = keysFor(filters);
  const serverFilter = filters.get('read:servers');
  const stateFilter = filters.get('admin:server_state');
  return rows.map((u) => {
    const userGroups = groups.get(u.id) ?? [];
    const own = spawners.get(u.id) ?? [];
    const defaultServer = own.find((s) => s.name === '');
    const withState = filterAllowsUserOrNull(stateFilter, u.name, userGroups);
    const servers: Record<string, unknown> = {};
    for (const s of own) {
      if (opts.full || (serverFilter && filterAllowsServer(serverFilter, u.name, s.name, userGroups))) {
        servers[s.name] = presentServer(opts.baseUrl, u.name, s, withState, opts.publicUrl);
      }
    }
    const model: Record<string, unknown> = {
      kind: 'user',
      name: u.name,
      admin: u.admin === 1,
      roles: roles.get(u.id) ?? [],
      groups: userGroups,
      // `server` and `pending` describe the default server: its URL once ready, its transition in flight.
      server: defaultServer && serverReady(defaultServer) ? serverUrl(opts.baseUrl, u.name, '') : null,
      pending: defaultServer?.pending ?? null,
      created: u.created,
      last_activity: u.last_activity,
      // A placeholder, as upstream: GET /users/{name} and PATCH fill in the stored value.
      auth_state: null,
      user_info: null,
      servers,
    };
    if (opts.full) return model;
    let keep = everywhere;
    for (const [f, fields] of filtered) {
      if (!filterAllowsUser(f, u.name, userGroups)) continue;
      if (keep === everywhere) keep = new Set(everywhere);
      for (const k of fields) keep.add(k);
    }
    // Servers readable through a `!server=` filter alone still show, as upstream.
    if (Object.keys(servers).length && !keep.has('servers')) {
      if (keep === everywhere) keep = new Set(everywhere);
      keep.add('servers');
    }
    if (keep.size === ALL_KEYS.size) return model;
    for (const k of Object.keys(model)) if (!keep.has(k)) delete model[k];
    return model;
  });
}

function filterAllowsUserOrNull(
  f: ReturnType<typeof scopeFilter> | undefined,
  name: string,
  groups: string[],
): boolean {
  return !!f && filterAllowsUser(f, name, groups);
}
