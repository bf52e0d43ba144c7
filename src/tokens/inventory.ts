import { type Kysely, type RawBuilder, type SqlBool, sql } from 'kysely';
import type { Database, TokenRow } from '../db/index.ts';
import type { PolicyFailure } from '../errors/index.ts';
import { tokenNote as serverTokenNote } from '../servers/credentials.ts';
import { serverClientId, serverPrefix } from '../servers/names.ts';
import type { InventoryFilter, TokenState } from './inventory-filter.ts';
import { scopesGranting } from './inventory-filter.ts';
import { policyConditions } from './policy-sql.ts';
import type { TokenPolicy } from './policy.ts';

const DAY_MS = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();
const like = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);
const matches = (column: RawBuilder<unknown>, pattern: string) => sql<SqlBool>`${column} like ${pattern} escape '\\'`;
const scopes = sql.ref('t.scopes');

/** Everything an inventory query depends on besides the filter. */
export interface InventoryScope {
  filter: InventoryFilter;
  nowMs: number;
  /** The token policy in force (tokenPolicyOf), or null: then no token is `blocked`. */
  policy: TokenPolicy | null;
  /** The hub's base URL path, for the `server` filter's token notes. */
  baseUrl: string;
  /** Whether services' tokens are in view (the caller may read services); else users' only. */
  withServices: boolean;
}

/** The state predicates, over `api_tokens as t`, at `nowMs`. */
function states(policy: TokenPolicy | null, nowMs: number): Record<TokenState, RawBuilder<SqlBool>> {
  const now = iso(nowMs);
  const ended = sql<SqlBool>`(t.expires_at is not null and t.expires_at <= ${now})`;
  const live = sql<SqlBool>`(t.revoked_at is null and not ${ended})`;
  const rules = policy ? policyConditions(policy, nowMs) : [];
  const refused = rules.length
    ? sql<SqlBool>`(t.kind = 'api' and (${sql.join(
        rules.map(([, c]) => c),
        sql` or `,
      )}))`
    : sql<SqlBool>`1 = 0`;
  return {
    revoked: sql<SqlBool>`t.revoked_at is not null`,
    expired: sql<SqlBool>`(t.revoked_at is null and ${ended} and t.replaced_by is null)`,
    rotated: sql<SqlBool>`(t.revoked_at is null and ${ended} and t.replaced_by is not null)`,
    blocked: sql<SqlBool>`(${live} and ${refused})`,
    active: sql<SqlBool>`(${live} and not ${refused})`,
  };
}

/** The token's state, and for a blocked one the policy's reason: `blocked:<reason>`. */
function stateColumn(policy: TokenPolicy | null, nowMs: number): RawBuilder<string> {
  const s = states(policy, nowMs);
  const reasons = policy ? policyConditions(policy, nowMs) : [];
  return sql<string>`case when ${s.revoked} then 'revoked' when ${s.expired} then 'expired'
    when ${s.rotated} then 'rotated'${sql.join(
      reasons.map(([reason, c]) => sql` when t.kind = 'api' and ${c} then ${`blocked:${reason}`}`),
      sql``,
    )} else 'active' end`;
}

function scopeNamed(scope: string): RawBuilder<SqlBool> {
  const granting =
    scope.startsWith('custom:') || scope === 'inherit' || scope === 'self' ? [scope] : scopesGranting(scope);
  return sql<SqlBool>`(${sql.join(
    granting.flatMap((g) => [matches(scopes, `%"${like(g)}"%`), matches(scopes, `%"${like(g)}!%`)]),
    sql` or `,
  )})`;
}

/** The filter as SQL conditions over `api_tokens as t`, `users as u`, `services as s` (all ANDed). */
function conditions(q: InventoryScope): RawBuilder<SqlBool>[] {
  const f = q.filter;
  const c: RawBuilder<SqlBool>[] = [];
  if (!q.withServices) c.push(sql<SqlBool>`t.user_id is not null`);
  if (f.user !== undefined) c.push(sql<SqlBool>`u.name = ${f.user}`);
  if (f.service !== undefined) c.push(sql<SqlBool>`s.name = ${f.service}`);
  if (f.server) {
    const { user, name } = f.server;
    const note = serverTokenNote(serverPrefix(q.baseUrl, user, name));
    c.push(sql<SqlBool>`((t.kind = 'server' and u.name = ${user} and t.note = ${note})
      or t.client_id = ${serverClientId(user, name)})`);
  }
  if (f.kind) c.push(sql<SqlBool>`t.kind in (${sql.join(f.kind)})`);
  if (f.scope) c.push(scopeNamed(f.scope));
  if (f.note !== undefined) c.push(matches(sql`lower(t.note)`, `%${like(f.note.toLowerCase())}%`));
  if (f.created_before) c.push(sql<SqlBool>`t.created < ${f.created_before}`);
  if (f.created_after) c.push(sql<SqlBool>`t.created > ${f.created_after}`);
  if (f.last_used_before) c.push(sql<SqlBool>`t.last_activity < ${f.last_used_before}`);
  if (f.last_used_after) c.push(sql<SqlBool>`t.last_activity > ${f.last_used_after}`);
  if (f.expires_before) c.push(sql<SqlBool>`t.expires_at < ${f.expires_before}`);
  if (f.expires_after) c.push(sql<SqlBool>`t.expires_at > ${f.expires_after}`);
  if (f.never_expires !== undefined)
    c.push(f.never_expires ? sql<SqlBool>`t.expires_at is null` : sql<SqlBool>`t.expires_at is not null`);
  if (f.idle_days !== undefined)
    c.push(sql<SqlBool>`coalesce(t.last_activity, t.created) < ${iso(q.nowMs - f.idle_days * DAY_MS)}`);
  if (f.admin_scopes !== undefined) {
    const admin = sql<SqlBool>`(${matches(scopes, '%"admin:%')} or ${matches(scopes, '%"admin-ui%')}
      or (${matches(scopes, '%"inherit"%')} and (u.admin = 1 or t.service_id is not null)))`;
    c.push(f.admin_scopes ? admin : sql<SqlBool>`not ${admin}`);
  }
  if (f.state) {
    const s = states(q.policy, q.nowMs);
    c.push(
      sql<SqlBool>`(${sql.join(
        f.state.map((x) => s[x]),
        sql` or `,
      )})`,
    );
  }
  return c;
}

function base(k: Kysely<Database>, q: InventoryScope, extra: RawBuilder<SqlBool>[] = []) {
  const all = [...conditions(q), ...extra];
  return k
    .selectFrom('api_tokens as t')
    .leftJoin('users as u', 'u.id', 't.user_id')
    .leftJoin('services as s', 's.id', 't.service_id')
    .where(all.length ? sql<SqlBool>`${sql.join(all, sql` and `)}` : sql<SqlBool>`1 = 1`);
}

export interface InventoryRow {
  row: TokenRow;
  owner: { kind: 'user' | 'service'; id: number; name: string };
  state: TokenState;
  policyReason: PolicyFailure | null;
}

/**
 * One page of the matching tokens, oldest first, and how many match in all: one statement (the total is a
 * scalar subquery beside each row; a page past the end costs a second, counting one).
 */
export async function inventoryPage(
  k: Kysely<Database>,
  q: InventoryScope,
  page: { offset: number; limit: number },
): Promise<{ rows: InventoryRow[]; total: number }> {
  const found = await base(k, q)
    .selectAll('t')
    .select([
      'u.name as user_name',
      's.name as service_name',
      stateColumn(q.policy, q.nowMs).as('state_of'),
      // Uncorrelated, so computed once: the count costs what counting alone does, not a window over every row.
      sql<number | string>`(${base(k, q).select(sql`count(*)`.as('n'))})`.as('total'),
    ])
    .orderBy('t.id')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  const total = found.length ? Number(found[0]!.total) : await inventoryCount(k, q);
  const rows = found.map(({ user_name, service_name, state_of, total: _, ...row }) => {
    const [state, reason] = state_of.split(':') as [TokenState, PolicyFailure | undefined];
    const owner =
      row.user_id !== null
        ? { kind: 'user' as const, id: row.user_id, name: user_name ?? '' }
        : { kind: 'service' as const, id: row.service_id ?? 0, name: service_name ?? '' };
    return { row: row as TokenRow, owner, state, policyReason: reason ?? null };
  });
  return { rows, total };
}

export async function inventoryCount(k: Kysely<Database>, q: InventoryScope): Promise<number> {
  const r = await base(k, q).select(sql<number | string>`count(*)`.as('n')).executeTakeFirst();
  return Number(r?.n ?? 0);
}

/** The still-usable matching tokens (active or policy-blocked), with their owners: what a bulk revoke revokes. */
export async function liveMatches(
  k: Kysely<Database>,
  q: InventoryScope,
): Promise<{ id: number; owner: string | null; userId: number | null }[]> {
  const s = states(q.policy, q.nowMs);
  const rows = await base(k, q, [sql<SqlBool>`(${s.active} or ${s.blocked})`])
    .select(['t.id', 't.user_id', 'u.name as user_name'])
    .orderBy('t.id')
    .execute();
  return rows.map((r) => ({ id: r.id, owner: r.user_name, userId: r.user_id }));
}

/** The hygiene figures of the admin page, over usable tokens in view: one statement. */
export async function inventorySummary(k: Kysely<Database>, q: InventoryScope) {
  const s = states(q.policy, q.nowMs);
  const of = (extra: InventoryFilter) => {
    const c = conditions({ ...q, filter: extra, withServices: true });
    return sql<number | string>`sum(case when ${sql.join(c, sql` and `)} then 1 else 0 end)`;
  };
  const r = await base(k, q, [sql<SqlBool>`(${s.active} or ${s.blocked})`])
    .select([
      sql<number | string>`count(*)`.as('live'),
      sql<number | string>`sum(case when ${s.blocked} then 1 else 0 end)`.as('blocked'),
      of({ never_expires: true }).as('never_expires'),
      of({ idle_days: 90 }).as('idle_90_days'),
      of({ admin_scopes: true }).as('admin_scopes'),
      of({ expires_before: iso(q.nowMs + 7 * DAY_MS) }).as('expiring_7_days'),
    ])
    .executeTakeFirstOrThrow();
  const n = (v: number | string | null) => Number(v ?? 0);
  return {
    live: n(r.live),
    blocked_by_policy: n(r.blocked),
    never_expires: n(r.never_expires),
    idle_90_days: n(r.idle_90_days),
    admin_scopes: n(r.admin_scopes),
    expiring_7_days: n(r.expiring_7_days),
  };
}

/** The tokens the policy blocks now, with why: the proxy is told to refuse them (src/proxy/refusals.ts). */
export async function policyBlockedTokens(
  k: Kysely<Database>,
  policy: TokenPolicy | null,
  nowMs = Date.now(),
): Promise<{ hashed: string; reason: PolicyFailure }[]> {
  if (!policy) return [];
  const q: InventoryScope = { filter: { state: ['blocked'] }, nowMs, policy, baseUrl: '/', withServices: true };
  const rows = await base(k, q)
    .select(['t.hashed', stateColumn(policy, nowMs).as('state_of')])
    .orderBy('t.id')
    .execute();
  return rows.map((r) => ({ hashed: r.hashed, reason: r.state_of.split(':')[1] as PolicyFailure }));
}
