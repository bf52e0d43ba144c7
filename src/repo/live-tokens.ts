import type { Kysely } from 'kysely';
import type { Database } from '../db/index.ts';

/** A token that still works, with its owner's name: what a notice to the owner needs. Never the secret. */
export interface LiveTokenRow {
  id: number;
  hashed: string;
  prefix: string;
  note: string;
  kind: string;
  /** JSON array of the token's (unexpanded) scopes. */
  scopes: string;
  created: string;
  expires_at: string | null;
  owner: { kind: 'user' | 'service'; name: string };
}

/**
 * Which live tokens: those with these digests (a leak report, a scan), or the API tokens that expire by
 * `expiringBy` (the expiry notices), soonest first. The latter leaves out a token replaced by a rotation: it
 * still works for its grace period, but its owner renewed it already.
 */
export type LiveTokenFilter = { hashed: readonly string[] } | { expiringBy: string };

// A parameter list has a limit (SQLite 32,766; PostgreSQL 65,535): digests are looked up in slices.
const SLICE = 500;

function query(k: Kysely<Database>, nowIso: string) {
  return k
    .selectFrom('api_tokens as t')
    .leftJoin('users as u', 'u.id', 't.user_id')
    .leftJoin('services as s', 's.id', 't.service_id')
    .select([
      't.id',
      't.hashed',
      't.prefix',
      't.note',
      't.kind',
      't.scopes',
      't.created',
      't.expires_at',
      'u.name as user',
      's.name as service',
    ])
    .where('t.revoked_at', 'is', null)
    .where((eb) => eb.or([eb('t.expires_at', 'is', null), eb('t.expires_at', '>', nowIso)]));
}

type Row = Awaited<ReturnType<ReturnType<typeof query>['execute']>>[number];

function withOwner({ user, service, ...t }: Row): LiveTokenRow {
  const owner =
    user !== null ? { kind: 'user' as const, name: user } : { kind: 'service' as const, name: service ?? '' };
  return { ...t, owner };
}

/** The tokens that still work at `nowIso` (not revoked, not expired), with their owners, as `filter` picks them. */
export async function findLiveTokens(
  k: Kysely<Database>,
  filter: LiveTokenFilter,
  nowIso: string,
): Promise<LiveTokenRow[]> {
  if ('expiringBy' in filter) {
    const rows = await query(k, nowIso)
      .where('t.kind', '=', 'api')
      .where('t.replaced_by', 'is', null)
      .where('t.expires_at', '<=', filter.expiringBy)
      .orderBy('t.expires_at')
      .execute();
    return rows.map(withOwner);
  }
  const live: LiveTokenRow[] = [];
  for (let at = 0; at < filter.hashed.length; at += SLICE) {
    const rows = await query(k, nowIso)
      .where('t.hashed', 'in', filter.hashed.slice(at, at + SLICE))
      .execute();
    live.push(...rows.map(withOwner));
  }
  return live;
}
