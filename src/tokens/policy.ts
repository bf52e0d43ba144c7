import type { TokensConfig } from '../config/schema-tokens.ts';
import type { TokenRow } from '../db/index.ts';
import type { PolicyFailure } from '../errors/index.ts';
import { parseJson } from '../lib/json.ts';

const DAY_MS = 86_400_000;

/**
 * The parts of `tokens.*` that bind tokens already made, not only new ones. They apply to personal API
 * tokens (kind 'api'): the hub's own tokens (servers', OAuth sessions') and config tokens are governed
 * by their makers (a server's lives as long as the server, a config token as long as the config line).
 */
export interface TokenPolicy {
  maxLifetimeMs: number | null;
  idleMs: number | null;
  allowNeverExpire: boolean;
  forbidInherit: boolean;
  /** Role name → the longest lifetime (ms) of its holders' tokens. */
  roleLifetimesMs: ReadonlyMap<string, number>;
}

/** The policy for existing tokens, or null when `tokens.*` sets nothing that binds them (the default). */
export function tokenPolicyOf(tokens: TokensConfig): TokenPolicy | null {
  const roleLifetimesMs = new Map<string, number>();
  for (const [role, rules] of Object.entries(tokens.roles))
    if (rules.expires_in_max_seconds !== undefined) roleLifetimesMs.set(role, rules.expires_in_max_seconds * 1000);
  const policy: TokenPolicy = {
    maxLifetimeMs: tokens.expires_in_max_seconds === null ? null : tokens.expires_in_max_seconds * 1000,
    idleMs: tokens.revoke_idle_after_days === null ? null : tokens.revoke_idle_after_days * DAY_MS,
    allowNeverExpire: tokens.allow_never_expire,
    forbidInherit: tokens.forbid_inherit,
    roleLifetimesMs,
  };
  const binds =
    policy.maxLifetimeMs !== null ||
    policy.idleMs !== null ||
    !policy.allowNeverExpire ||
    policy.forbidInherit ||
    roleLifetimesMs.size > 0;
  return binds ? policy : null;
}

/** The strictest lifetime (ms) the roles held impose, or null when none does. */
export function roleLifetimeMs(policy: TokenPolicy, roles: readonly string[]): number | null {
  let min: number | null = null;
  for (const r of roles) {
    const ms = policy.roleLifetimesMs.get(r);
    if (ms !== undefined && (min === null || ms < min)) min = ms;
  }
  return min;
}

/**
 * Why the policy refuses this token now, or null. `roles` are the owner's role names (only asked for when
 * the policy has per-role lifetimes). The order of the checks is the order of the reasons reported: the
 * SQL form (policy-sql.ts) checks in the same order, so the inventory and authentication agree.
 */
export function policyFailure(
  row: TokenRow,
  policy: TokenPolicy,
  now: number,
  roles: readonly string[] = [],
): PolicyFailure | null {
  if (row.kind !== 'api') return null;
  const created = Date.parse(row.created);
  const roleMax = roleLifetimeMs(policy, roles);
  if (policy.maxLifetimeMs !== null && created + policy.maxLifetimeMs <= now) return 'token_policy_max_lifetime';
  if (roleMax !== null && created + roleMax <= now) return 'token_policy_max_lifetime';
  if (!policy.allowNeverExpire && row.expires_at === null) return 'token_policy_never_expires';
  if (policy.forbidInherit && parseJson<string[]>(row.scopes, []).includes('inherit')) return 'token_policy_inherit';
  if (policy.idleMs !== null && Date.parse(row.last_activity ?? row.created) + policy.idleMs <= now)
    return 'token_policy_idle';
  return null;
}
