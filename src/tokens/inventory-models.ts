import type { InventoryRow } from './inventory.ts';
import { type ModelDeps, tokenModelsOf } from './models.ts';

/**
 * The inventory's token models: each as the user token API shows it (tokenModelsOf), plus its owner, its
 * kind of token and its state.
 */
export async function inventoryModels(deps: ModelDeps, rows: InventoryRow[]) {
  const models = await tokenModelsOf(deps, rows);
  return models.map((model, i) => {
    const { row, owner, state, policyReason } = rows[i]!;
    return {
      ...model,
      owner: { kind: owner.kind, name: owner.name },
      token_kind: row.kind,
      state,
      policy_reason: policyReason,
    };
  });
}
