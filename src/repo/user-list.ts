import { sql, type ExpressionBuilder, type Kysely, type SelectQueryBuilder } from 'kysely';
import { compiledQuery, type FixedQuery } from '../db/compiled-query.ts';
import type { Database, UserRow } from '../db/index.ts';

type K = Kysely<Database>;

export type UserState = 'active' | 'ready' | 'inactive';
export type UserSort = { key: 'id' | 'name' | 'last_activity'; desc: boolean };

/** What a listing shows of a user's row: not its auth state (possibly kilobytes) nor its cookie id. */
export type ListedUser = Pick<UserRow, 'id' | 'name' | 'admin' | 'created' | 'last_activity'>;
const LISTED = ['users.id', 'users.name', 'users.admin', 'users.created', 'users.last_activity'] as const;

export interface UserListQuery {
  offset: number;
  limit: number;
  nameFilter: string | null;
  state: UserState | null;
  sort: UserSort;
  /** Restricts the listing to what the caller's filtered `list:users` scope covers; null = everyone. */
  visible: { users: Set<string>; groups: Set<string> } | null;
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * Spawners whose owner counts as `state`. Ready: a server running with nothing in flight. Active: a
 * server running, starting or stopping. Written as the partial index of migration 004.
 */
function spawnerIn(state: 'ready' | 'active') {
  return (eb: ExpressionBuilder<Database, 'spawners'>) =>
    state === 'ready'
      ? eb.and([eb('spawners.server_url', 'is not', null), eb('spawners.pending', 'is', null)])
      : eb.or([eb('spawners.server_url', 'is not', null), eb('spawners.pending', 'is not', null)]);
}

function owners(db: K, state: 'ready' | 'active') {
  return db.selectFrom('spawners').select('spawners.user_id').where(spawnerIn(state));
}

/** Users matching the name filter and the caller's visibility, whatever their servers. */
function matching(db: K, q: UserListQuery): SelectQueryBuilder<Database, 'users', object> {
  let qb = db.selectFrom('users') as SelectQueryBuilder<Database, 'users', object>;
  if (q.nameFilter) {
    const pattern = `%${escapeLike(q.nameFilter.toLowerCase())}%`;
    qb = qb.where(sql<boolean>`lower(users.name) like ${pattern} escape '\\'`);
  }
  if (q.visible) {
    const { users, groups } = q.visible;
    qb = qb.where((eb) => {
      const ors = [];
      if (users.size) ors.push(eb('users.name', 'in', [...users]));
      if (groups.size) {
        ors.push(
          eb(
            'users.id',
            'in',
            db
              .selectFrom('user_group_map')
              .innerJoin('groups', 'groups.id', 'user_group_map.group_id')
              .select('user_group_map.user_id')
              .where('groups.name', 'in', [...groups]),
          ),
        );
      }
      return ors.length ? eb.or(ors) : eb.val(false);
    });
  }
  return qb;
}

/** A page of `base` in the listing's order: nulls first going up, last going down, ties by id. */
function page(base: SelectQueryBuilder<Database, 'users', object>, sort: UserSort, limit: number, offset: number) {
  return base
    .select(LISTED)
    .orderBy(`users.${sort.key}`, (ob) => (sort.desc ? ob.desc().nullsLast() : ob.asc().nullsFirst()))
    .orderBy('users.id', sort.desc ? 'desc' : 'asc')
    .limit(limit)
    .offset(offset);
}

// Every user, unfiltered, is what dashboards and the admin page ask most: its count and its page per sort
// (six at most) are compiled once (src/db/compiled-query.ts).
const everyoneCount = compiledQuery((db, _a: object) =>
  db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')),
);
const everyonePage = new Map<string, FixedQuery<{ limit: number; offset: number }, ListedUser>>();

function everyonePageQuery(sort: UserSort): FixedQuery<{ limit: number; offset: number }, ListedUser> {
  const key = `${sort.key}:${sort.desc}`;
  let query = everyonePage.get(key);
  if (!query) {
    query = compiledQuery((db, a: { limit: number; offset: number }) =>
      page(db.selectFrom('users') as SelectQueryBuilder<Database, 'users', object>, sort, a.limit, a.offset),
    );
    everyonePage.set(key, query);
  }
  return query;
}

export async function listUsers(db: K, q: UserListQuery): Promise<{ rows: ListedUser[]; total: number }> {
  if ((q.state === 'ready' || q.state === 'active') && q.sort.key === 'id') return listServerOwnersById(db, q, q.state);
  if (!q.nameFilter && !q.state && !q.visible) {
    const countRow = await everyoneCount.first(db, {});
    const { rows } = await everyonePageQuery(q.sort).execute(db, { limit: q.limit, offset: q.offset });
    return { rows, total: Number(countRow?.n ?? 0) };
  }
  let base = matching(db, q);
  if (q.state === 'inactive') base = base.where('users.id', 'not in', owners(db, 'active'));
  else if (q.state) base = base.where('users.id', 'in', owners(db, q.state));
  const countRow = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const rows = await page(base, q.sort, q.limit, q.offset).execute();
  return { rows, total: Number(countRow.n) };
}

/**
 * Users with a ready (or active) server, by id: what the idle culler pages through on every pass. The
 * count and the page's ids come from the spawners' partial index alone (in owner order), and only the
 * page's own users are read, so a page costs the index entries it skips rather than a scan of every
 * spawner and a user lookup per skipped row.
 */
async function listServerOwnersById(
  db: K,
  q: UserListQuery,
  state: 'ready' | 'active',
): Promise<{ rows: ListedUser[]; total: number }> {
  let ownersOf = db.selectFrom('spawners').where(spawnerIn(state));
  if (q.nameFilter || q.visible)
    ownersOf = ownersOf.where('spawners.user_id', 'in', matching(db, q).select('users.id'));
  const direction = q.sort.desc ? 'desc' : 'asc';
  const countRow = await ownersOf
    .select((eb) => eb.fn.count<number>('spawners.user_id').distinct().as('n'))
    .executeTakeFirstOrThrow();
  const pageIds = ownersOf
    .select('spawners.user_id')
    .groupBy('spawners.user_id')
    .orderBy('spawners.user_id', direction)
    .limit(q.limit)
    .offset(q.offset);
  const rows = await db
    .selectFrom('users')
    .select(LISTED)
    .where('users.id', 'in', pageIds)
    .orderBy('users.id', direction)
    .execute();
  return { rows, total: Number(countRow.n) };
}
