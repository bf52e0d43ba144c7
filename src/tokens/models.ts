import type { Kysely } from 'kysely';
import { effectiveScopes, oauthClientTarget } from '../auth/principal.ts';
import type { Database, TokenRow } from '../db/index.ts';
import { parseJson } from '../lib/json.ts';
import type { CustomScopes, OAuthClientTarget } from '../rbac/index.ts';
import { presentToken } from './present.ts';

export interface ModelDeps {
  k: Kysely<Database>;
  /** Each owner's expanded scopes (the hub's PrincipalCache). */
  ownerScopes(kind: 'user' | 'service', id: number, name: string): Promise<Set<string>>;
  customScopes: CustomScopes | undefined;
}

/** A token and its owner, as a token model names it. */
export interface OwnedTokenRow {
  row: TokenRow;
  owner: { kind: 'user' | 'service'; id: number; name: string };
}

/**
 * Token models as the token API shows them (effective scopes against what the owner holds now, the OAuth
 * client's description), in order. Everything shown is loaded first, each owner's scopes and each OAuth
 * client once, then presented.
 */
export async function tokenModelsOf(deps: ModelDeps, rows: readonly OwnedTokenRow[]) {
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
  for (const { row, owner } of rows) {
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
    models.push(presentToken(row, owner.name, [...scopes].sort(), descriptions.get(row.client_id) ?? row.client_id));
  }
  return models;
}
