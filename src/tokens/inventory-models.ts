import type { Kysely } from 'kysely';
import { effectiveScopes, oauthClientTarget } from '../auth/principal.ts';
import type { Database } from '../db/index.ts';
import { parseJson } from '../lib/json.ts';
import type { CustomScopes, OAuthClientTarget } from '../rbac/index.ts';
import type { InventoryRow } from './inventory.ts';
import { presentToken } from './present.ts';

export interface ModelDeps {
  k: Kysely<Database>;
  /** Each owner's expanded scopes (the hub's PrincipalCache). */
  ownerScopes(kind: 'user' | 'service', id: number, name: string): Promise<Set<string>>;
  customScopes: CustomScopes | undefined;
}

/**
 * The inventory's token models: each as the user token API shows it (effective scopes, the OAuth
 * client's description), plus its owner, its kind of token and its state. Everything shown is loaded
 * first, each owner's scopes and each OAuth client once, then presented.
 */
export async function inventoryModels(deps: ModelDeps, rows: InventoryRow[]) {
  const owners = new Map<string, Set<string>>();
  for (const { owner } of rows) {
    const key = `${owner.kind}:${owner.id}`;
    if (!owners.has(key)) owners.set(key, await deps.ownerScopes(owner.kind, owner.id, owner.name));
  }
  const clientIds = [...new Set(rows.map((r) => r.row.client_id))].filter((id) => id !== 'jupyterhub');
  const descriptions = new Map<string, string>([['jupyterhub', 'JupyterHub']]);
  const targets = new Map<string, OAuthClientTarget | null>();
  if (clientIds.length) {
    const clients = await deps.k
      .selectFrom('oauth_clients')
      .select(['identifier', 'description'])
      .where('identifier', 'in', clientIds)
      .execute();
    for (const c of clients) if (c.description) descriptions.set(c.identifier, c.description);
    for (const id of clientIds) targets.set(id, await oauthClientTarget(deps.k, id));
  }
  const models = [];
  for (const { row, owner, state, policyReason } of rows) {
    const ownerSet = owners.get(`${owner.kind}:${owner.id}`)!;
    const scopes = await effectiveScopes(
      deps.k,
      parseJson<string[]>(row.scopes, []),
      owner.kind,
      owner.name,
      ownerSet,
      {
        customScopes: deps.customScopes,
        oauthClient: targets.get(row.client_id) ?? null,
      },
    );
    const clientDescription = descriptions.get(row.client_id) ?? row.client_id;
    models.push({
      ...presentToken(row, owner.name, [...scopes].sort(), clientDescription),
      owner: { kind: owner.kind, name: owner.name },
      token_kind: row.kind,
      state,
      policy_reason: policyReason,
    });
  }
  return models;
}
