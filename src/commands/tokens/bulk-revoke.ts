import type { InventoryFilter } from '../../tokens/inventory-filter.ts';
import { type InventoryScope, liveMatches } from '../../tokens/inventory.ts';
import { tokenPolicyOf } from '../../tokens/policy.ts';
import type { Caller } from '../deps.ts';
import { loggedCaller, type TokenCommandDeps } from './deps.ts';
import { revokeIds } from './revoke-ids.ts';

// One UPDATE per chunk: well under SQLite's and PostgreSQL's bound-parameter limits.
const CHUNK = 500;

export interface BulkRevokeInput {
  filter: InventoryFilter;
  dryRun: boolean;
  /** The hub's base URL path (the `server` filter needs it). */
  baseUrl: string;
  /** Whether services' tokens may be revoked too (the caller administers services). */
  withServices: boolean;
}

/**
 * Revokes every still-usable token the inventory filter matches (active, or blocked by the policy), through
 * revokeIds like any revocation: each on record as `token.revoke` (so its owner sees it), plus one
 * `token.bulk_revoke` with the count and the filter. A dry run changes nothing and answers the ids.
 * The filter is taken as given: an empty one matches every token, which the API refuses before calling this.
 */
export async function bulkRevokeTokens(
  deps: TokenCommandDeps,
  caller: Caller,
  input: BulkRevokeInput,
): Promise<{ count: number; ids: number[] }> {
  const scope: InventoryScope = {
    filter: input.filter,
    nowMs: Date.now(),
    policy: tokenPolicyOf(deps.config.tokens),
    baseUrl: input.baseUrl,
    withServices: input.withServices,
  };
  const matches = await liveMatches(deps.k, scope);
  const ids = matches.map((m) => m.id);
  if (input.dryRun) return { count: ids.length, ids };
  const byOwner = new Map<string | null, number[]>();
  for (const m of matches) byOwner.set(m.owner, [...(byOwner.get(m.owner) ?? []), m.id]);
  let count = 0;
  for (const [owner, own] of byOwner)
    for (let i = 0; i < own.length; i += CHUNK)
      count += await revokeIds(deps, caller, owner, own.slice(i, i + CHUNK), () => 'bulk revoke by filter');
  const filter = JSON.stringify(input.filter);
  deps.audit.record({
    ...caller.origin,
    action: 'token.bulk_revoke',
    target: { kind: 'tokens', name: filter.slice(0, 500) },
    reason: `${count} revoked`,
  });
  deps.log.info({ ...loggedCaller(caller), filter, revoked: count }, 'tokens revoked in bulk');
  return { count, ids };
}
