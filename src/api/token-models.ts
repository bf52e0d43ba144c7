import { effectiveScopes, oauthClientTarget } from '../auth/principal.ts';
import type { HubContext } from '../context.ts';
import type { TokenRow } from '../db/index.ts';
import { parseJson } from '../lib/json.ts';
import type { OAuthClientTarget } from '../rbac/index.ts';
import { presentToken } from '../tokens/present.ts';
import { withBindings } from './token-binding.ts';

/**
 * The token models of a user's or a service's tokens `rows`, in order: everything they show (effective
 * scopes against what the owner holds now, each OAuth client's description, bindings) is loaded first, each
 * client once, then presented.
 */
export async function tokenModels(
  ctx: HubContext,
  kind: 'user' | 'service',
  owner: { id: number; name: string },
  rows: TokenRow[],
) {
  const ownerSet = await ctx.principals.ownerScopes(kind, owner.id, owner.name);
  const clientIds = [...new Set(rows.map((r) => r.client_id))].filter((id) => id !== 'jupyterhub');
  const descriptions = new Map<string, string>([['jupyterhub', 'JupyterHub']]);
  const targets = new Map<string, OAuthClientTarget | null>();
  if (clientIds.length) {
    const clients = await ctx.k
      .selectFrom('oauth_clients')
      .select(['identifier', 'description'])
      .where('identifier', 'in', clientIds)
      .execute();
    for (const c of clients) if (c.description) descriptions.set(c.identifier, c.description);
    for (const id of clientIds) targets.set(id, await oauthClientTarget(ctx.k, id));
  }
  const models = [];
  for (const row of rows) {
    const scopes = await effectiveScopes(ctx.k, parseJson<string[]>(row.scopes, []), kind, owner.name, ownerSet, {
      customScopes: ctx.config.custom_scopes,
      oauthClient: targets.get(row.client_id) ?? null,
    });
    models.push(presentToken(row, owner.name, [...scopes].sort(), descriptions.get(row.client_id) ?? row.client_id));
  }
  return withBindings(ctx.k, rows, models);
}
