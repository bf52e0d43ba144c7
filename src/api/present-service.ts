import type { Principal } from '../auth/principal.ts';
import type { HubContext } from '../context.ts';
import type { ServiceRow } from '../db/index.ts';
import { parseJson } from '../lib/json.ts';
import { filterAllowsService, scopeFilter } from '../rbac/index.ts';
import { roleNamesOf } from '../repo/roles.ts';

const FIELDS: Record<string, string[]> = {
  'read:services': ['admin', 'roles', 'url', 'prefix', 'command', 'pid', 'info', 'display'],
  'read:services:name': [],
  'read:roles:services': ['roles', 'admin'],
};

/** JupyterHub's Service model, filtered to the keys the caller's scopes reveal for each service. */
export async function presentServices(ctx: HubContext, rows: ServiceRow[], p: Pick<Principal, 'scopes'>): Promise<Record<string, unknown>[]> {
  const filters = Object.keys(FIELDS).map((s) => [s, scopeFilter(p.scopes, s)] as const);
  const out = [];
  for (const s of rows) {
    const spec = ctx.config.services.find((c) => c.name === s.name);
    const model: Record<string, unknown> = {
      kind: 'service',
      name: s.name,
      admin: s.admin === 1,
      roles: await roleNamesOf(ctx.k, 'service', s.id),
      url: s.url,
      prefix: s.url ? `${ctx.baseUrl}services/${encodeURIComponent(s.name)}/` : null,
      command: spec?.command ?? null,
      // Managed services are not started yet (services issue), so none has a process id.
      pid: null,
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
