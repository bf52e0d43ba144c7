import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import type { Database, UserRow } from '../db/index.ts';

type K = Kysely<Database>;

export type UserState = 'active' | 'ready' | 'inactive';
export type UserSort = { key: 'id' | 'name' | 'last_activity'; desc: boolean };

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
  return s.replace(/[\\%_]/g, (c) => '\\' + c);
}

function filtered(db: K, q: UserListQuery): SelectQueryBuilder<Database, 'users', object> {
  let qb = db.selectFrom('users') as SelectQueryBuilder<Database, 'users', object>;
  if (q.nameFilter) {
    const pattern = '%' + escapeLike(q.nameFilter.toLowerCase()) + '%';
    qb = qb.where(sql<boolean>`lower(users.name) like ${pattern} escape '\\'`);
  }
  if (q.state) {
    // Active: a server running, starting or stopping. Ready: a server running with nothing in flight.
    // Inactive: no active server at all.
    const active = db
      .selectFrom('spawners')
      .select('spawners.user_id')
      .where((eb) => eb.or([eb('spawners.server_url', 'is not', null), eb('spawners.pending', 'is not', null)]));
    const ready = db
      .selectFrom('spawners')
      .select('spawners.user_id')
      .where('spawners.server_url', 'is not', null)
      .where('spawners.pending', 'is', null);
    if (q.state === 'inactive') qb = qb.where('users.id', 'not in', active);
    else qb = qb.where('users.id', 'in', q.state === 'ready' ? ready : active);
  }
  if (q.visible) {
    const { users, groups } = q.visible;
    qb = qb.where((eb) => {
      const ors = [];
      if (users.size) ors.push(eb('users.name', 'in', [...users]));
      if (groups.size) {
        ors.push(
          eb('users.id', 'in', db
            .selectFrom('user_group_map')
            .innerJoin('groups', 'groups.id', 'user_group_map.group_id')
            .select('user_group_map.user_id')
            .where('groups.name', 'in', [...groups])),
        );
      }
      return ors.length ? eb.or(ors) : eb.val(false);
    });
  }
  return qb;
}

export async function listUsers(db: K, q: UserListQuery): Promise<{ rows: UserRow[]; total: number }> {
  const base = filtered(db, q);
  const countRow = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const rows = await base
    .selectAll('users')
    .orderBy(`users.${q.sort.key}`, (ob) => (q.sort.desc ? ob.desc().nullsLast() : ob.asc().nullsFirst()))
    .orderBy('users.id', q.sort.desc ? 'desc' : 'asc')
    .limit(q.limit)
    .offset(q.offset)
    .execute();
  return { rows, total: Number(countRow.n) };
}
