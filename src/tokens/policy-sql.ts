import { type RawBuilder, type SqlBool, sql } from 'kysely';
import type { PolicyFailure } from '../errors/index.ts';
import type { TokenPolicy } from './policy.ts';

const iso = (ms: number) => new Date(ms).toISOString();

/** Holders of role `name`, directly or through a group: the same two paths as src/repo/roles.ts' heldRoles. */
const holdersOf = (name: string) => sql`(
  select m.user_id from user_role_map m join roles r on r.id = m.role_id where r.name = ${name}
  union all
  select g.user_id from user_group_map g
    join group_role_map gr on gr.group_id = g.group_id join roles r on r.id = gr.role_id where r.name = ${name})`;

/**
 * policyFailure (policy.ts) as SQL over `api_tokens as t`, one condition per reason in the same order: what
 * the inventory reports and what authentication refuses agree (src/tokens/policy.test.ts checks both).
 * The caller adds `t.kind = 'api'` and "not revoked, not expired".
 */
export function policyConditions(policy: TokenPolicy, nowMs: number): [PolicyFailure, RawBuilder<SqlBool>][] {
  const out: [PolicyFailure, RawBuilder<SqlBool>][] = [];
  const lifetime: RawBuilder<SqlBool>[] = [];
  if (policy.maxLifetimeMs !== null) lifetime.push(sql<SqlBool>`t.created <= ${iso(nowMs - policy.maxLifetimeMs)}`);
  for (const [role, ms] of policy.roleLifetimesMs)
    lifetime.push(sql<SqlBool>`(t.created <= ${iso(nowMs - ms)} and t.user_id in ${holdersOf(role)})`);
  if (lifetime.length) out.push(['token_policy_max_lifetime', sql<SqlBool>`(${sql.join(lifetime, sql` or `)})`]);
  if (!policy.allowNeverExpire) out.push(['token_policy_never_expires', sql<SqlBool>`t.expires_at is null`]);
  if (policy.forbidInherit) out.push(['token_policy_inherit', sql<SqlBool>`t.scopes like ${'%"inherit"%'}`]);
  if (policy.idleMs !== null)
    out.push([
      'token_policy_idle',
      sql<SqlBool>`coalesce(t.last_activity, t.created) <= ${iso(nowMs - policy.idleMs)}`,
    ]);
  return out;
}
