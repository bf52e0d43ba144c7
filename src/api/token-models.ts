import type { HubContext } from '../context.ts';
import type { TokenRow } from '../db/index.ts';
import { type ModelDeps, tokenModelsOf } from '../tokens/models.ts';
import { withBindings } from './token-binding.ts';

/** What token models are loaded with at the hub. */
export function modelDeps(ctx: HubContext): ModelDeps {
  return {
    k: ctx.k,
    ownerScopes: (kind, id, name) => ctx.principals.ownerScopes(kind, id, name),
    customScopes: ctx.config.custom_scopes,
  };
}

/** The token models of a user's or a service's tokens `rows`, in order, with their bindings. */
export async function tokenModels(
  ctx: HubContext,
  kind: 'user' | 'service',
  owner: { id: number; name: string },
  rows: TokenRow[],
) {
  const owned = { kind, id: owner.id, name: owner.name };
  const models = await tokenModelsOf(
    modelDeps(ctx),
    rows.map((row) => ({ row, owner: owned })),
  );
  return withBindings(ctx.k, rows, models);
}
