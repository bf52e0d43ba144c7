import type { Principal } from '../auth/principal.ts';
import type { HubContext } from '../context.ts';
import type { ServiceRow } from '../db/index.ts';
import { parseJson } from '../lib/json.ts';
import { filterAllowsService, scopeFilter } from '../rbac/index.ts';
import { roleNamesOf } from '../repo/roles.ts';

// Upstream's access map: read:services does not reveal roles; read:services:name reveals admin.
const FIELDS: Record<string, string[]> = {
  'read:services': ['admin', 'url', 'prefix', 'command', 'pid', 'info', 'display'],
  'read:services:name': ['admin'],
  'read:roles:services': ['roles', 'admin'],
};

/** JupyterHub's Service model, filtered to the keys the caller's scopes reveal for each service. */
export async function presentServices(
  ctx: HubContext,
  rows: ServiceRow[],
  p: Pick<Principal, 'scopes'>,
): Promise<Record<string, unknown>[]> {
  const filters = Object.keys(FIELDS).map((s) => [s, scopeFilter(p.scopes, s)] as const);
  const out = [];
  for (const s of rows) {
    const spec = ctx.config.services.find((c) => c.name === s.name);
    const model: Record<string, unknown> = {
      kind: 'service',
      name: s.name,
      admin: s.admin === 1,
      roles: await roleNamesOf(ctx.k, 'service', s.id),
      // Upstream's empty values when unset: '' for url and prefix, [] for command, 0 for pid.
      url: s.url ?? '',
      prefix: s.url ? `${ctx.baseUrl}services/${encodeURIComponent(s.name)}/` : '',
      command: spec?.command ?? [],
      // The process id of a running managed service; 0 otherwise, as upstream.
      pid: ctx.services.pid(s.name) ?? 0,
      info: parseJson<Record<string, unknown>>(s.info, {}),
      display: s.display === 1,
    };
    const keep = new Set(['kind', 'name']);
    for (const [scope, f] of filters) {
      if (f && filterAllowsService(f, s.name)) for (const k of FIELDS[scope]!) keep.add(k);
    }
    out.push(Object.fromEntries(Object.entries(model).filter(([k]) => keep.has(k))));
  }
  return out;
}
