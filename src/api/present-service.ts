import type { Principal } from '../auth/principal.ts';
import type { ServiceRow } from '../db/index.ts';
import { parseJson } from '../lib/json.ts';
import { filterAllowsService, scopeFilter } from '../rbac/index.ts';

// Upstream's access map: read:services does not reveal roles; read:services:name reveals admin.
const FIELDS: Record<string, string[]> = {
  'read:services': ['admin', 'url', 'prefix', 'command', 'pid', 'info', 'display'],
  'read:services:name': ['admin'],
  'read:roles:services': ['roles', 'admin'],
};

/** What a Service model shows beside the row, loaded first (see `loadServiceFacts` in services.ts). */
export interface ServiceFacts {
  baseUrl: string;
  /** Role names per service id. */
  roles: Map<number, string[]>;
  /** The command of each managed service (config services with `command`), by name. */
  commands: Map<string, string[]>;
  /** The process id of each running managed service, by name. */
  pids: Map<string, number>;
}

/** JupyterHub's Service model, filtered to the keys the caller's scopes reveal for each service. */
export function presentServices(
  rows: ServiceRow[],
  facts: ServiceFacts,
  p: Pick<Principal, 'scopes'>,
): Record<string, unknown>[] {
  const filters = Object.keys(FIELDS).map((s) => [s, scopeFilter(p.scopes, s)] as const);
  return rows.map((s) => {
    const model: Record<string, unknown> = {
      kind: 'service',
      name: s.name,
      admin: s.admin === 1,
      roles: facts.roles.get(s.id) ?? [],
      // Upstream's empty values when unset: '' for url and prefix, [] for command, 0 for pid.
      url: s.url ?? '',
      prefix: s.url ? `${facts.baseUrl}services/${encodeURIComponent(s.name)}/` : '',
      command: facts.commands.get(s.name) ?? [],
      pid: facts.pids.get(s.name) ?? 0,
      info: parseJson<Record<string, unknown>>(s.info, {}),
      display: s.display === 1,
    };
    const keep = new Set(['kind', 'name']);
    for (const [scope, f] of filters) {
      if (f && filterAllowsService(f, s.name)) for (const k of FIELDS[scope]!) keep.add(k);
    }
    return Object.fromEntries(Object.entries(model).filter(([k]) => keep.has(k)));
  });
}
