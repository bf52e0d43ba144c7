import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import type { AuditRow, Database } from '../db/index.ts';
import { invalidRequest } from '../errors/index.ts';

export interface AuditQuery {
  actor?: string;
  action?: string;
  target?: string;
  token_id?: string;
  since?: string;
  until?: string;
  order?: string;
}

export interface AuditFilter {
  actor: string | null;
  action: { exact: string } | { prefix: string } | null;
  target: string | null;
  /** `a<id>`: records made with that token, or about it. */
  token: string | null;
  since: string | null;
  until: string | null;
  order: 'asc' | 'desc';
  /** Only records this principal made or whose target belongs to them; null = every record (admins). */
  viewer: { kind: string; name: string } | null;
}

const TOKEN_ID = /^a[1-9]\d{0,15}$/;
const ACTION = /^[a-z_]+(\.[a-z_]+)*$/;
// A date, or a date and time with an optional zone: what people type, and what the API itself returns.
const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

function isoArg(name: string, value: string | undefined): string | null {
  if (value === undefined || value === '') return null;
  const ms = ISO.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms))
    throw invalidRequest(
      `Invalid ${name}: '${value}' is not an ISO 8601 date or time (e.g. 2025-01-31 or 2025-01-31T12:00:00Z)`,
    );
  return new Date(ms).toISOString();
}

/** Checks the query string; anything malformed is a 400 naming the parameter. */
export function parseAuditFilter(q: AuditQuery, viewer: AuditFilter['viewer']): AuditFilter {
  let action: AuditFilter['action'] = null;
  if (q.action) {
    // `token.` or `token.*` is every token event; anything else must match exactly.
    const prefix = /^(.+)\.\*?$/.exec(q.action);
    const name = prefix ? prefix[1]! : q.action;
    if (!ACTION.test(name))
      throw invalidRequest(`Invalid action: '${q.action}' (a dotted name like token.revoke, or a prefix like token.)`);
    action = prefix ? { prefix: `${name}.` } : { exact: name };
  }
  const order = q.order ?? 'desc';
  if (order !== 'asc' && order !== 'desc') throw invalidRequest(`Invalid order: '${order}' (asc or desc)`);
  const since = isoArg('since', q.since);
  const until = isoArg('until', q.until);
  if (since && until && since > until) throw invalidRequest('Invalid range: since is after until');
  const token = q.token_id || null;
  if (token !== null && !TOKEN_ID.test(token))
    throw invalidRequest(`Invalid token_id: '${token}' (a token id like a12, as the token list gives it)`);
  return { actor: q.actor || null, action, target: q.target || null, token, since, until, order, viewer };
}

function filtered<O>(
  q: SelectQueryBuilder<Database, 'audit_log', O>,
  f: AuditFilter,
): SelectQueryBuilder<Database, 'audit_log', O> {
  if (f.actor) q = q.where('actor_name', '=', f.actor);
  if (f.action && 'exact' in f.action) q = q.where('action', '=', f.action.exact);
  // substr rather than LIKE: '_' is a wildcard there, and the two dialects escape it differently.
  if (f.action && 'prefix' in f.action)
    q = q.where(sql<string>`substr(action, 1, ${f.action.prefix.length})`, '=', f.action.prefix);
  if (f.target) q = q.where((eb) => eb.or([eb('target_name', '=', f.target!), eb('target_owner', '=', f.target!)]));
  if (f.token) {
    const id = f.token;
    q = q.where((eb) =>
      eb.or([eb('actor_token_id', '=', id), eb.and([eb('target_kind', '=', 'token'), eb('target_name', '=', id)])]),
    );
  }
  if (f.since) q = q.where('time', '>=', f.since);
  if (f.until) q = q.where('time', '<', f.until);
  if (f.viewer) {
    const v = f.viewer;
    q = q.where((eb) =>
      eb.or([
        eb.and([eb('actor_kind', '=', v.kind), eb('actor_name', '=', v.name)]),
        ...(v.kind === 'user' ? [eb('target_owner', '=', v.name)] : []),
      ]),
    );
  }
  return q;
}

export async function listAudit(
  k: Kysely<Database>,
  f: AuditFilter,
  page: { offset: number; limit: number },
): Promise<{ rows: AuditRow[]; total: number }> {
  const rows = await filtered(k.selectFrom('audit_log').selectAll(), f)
    .orderBy('id', f.order)
    .offset(page.offset)
    .limit(page.limit)
    .execute();
  const { total } = await filtered(
    k.selectFrom('audit_log').select((eb) => eb.fn.countAll<number>().as('total')),
    f,
  ).executeTakeFirstOrThrow();
  return { rows, total: Number(total) };
}
