import type { Kysely } from 'kysely';
import type { TokensConfig } from '../config/schema-tokens.ts';
import type { Database } from '../db/index.ts';
import { tokenPolicyForbidsNew } from '../errors/index.ts';
import { roleNamesHeld } from '../repo/roles.ts';

/** The smaller of two limits where null (lifetime) or 0 (count) means none. */
const stricter = (a: number | null, b: number | null | undefined): number | null =>
  b === undefined || b === null || b === 0 ? a : a === null || a === 0 ? b : Math.min(a, b);

/**
 * The token rules for a new personal token of this user: `tokens.*` tightened by `tokens.roles` for the
 * roles the user holds (directly or through a group). Roles only tighten: the strictest rule applies.
 */
export async function tokenRulesFor(k: Kysely<Database>, tokens: TokensConfig, userId: number): Promise<TokensConfig> {
  const entries = Object.entries(tokens.roles);
  if (entries.length === 0) return tokens;
  const held = new Set(await roleNamesHeld(k, 'user', userId));
  let max = tokens.expires_in_max_seconds;
  let active: number | null = tokens.max_active_per_user;
  for (const [role, rules] of entries)
    if (held.has(role)) {
      max = stricter(max, rules.expires_in_max_seconds);
      active = stricter(active, rules.max_active);
    }
  return { ...tokens, expires_in_max_seconds: max, max_active_per_user: active ?? 0 };
}

/** Refuses a new token the policy would refuse once made: never expiring, or holding `inherit`. */
export function assertNewTokenAllowed(tokens: TokensConfig, scopes: readonly string[], expiresIn: number | null): void {
  if (!tokens.allow_never_expire && expiresIn === null) throw tokenPolicyForbidsNew('token_policy_never_expires');
  if (tokens.forbid_inherit && scopes.includes('inherit')) throw tokenPolicyForbidsNew('token_policy_inherit');
}
