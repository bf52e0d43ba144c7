import type { Kysely } from 'kysely';
import { roleNamesByHolder } from './roles.ts';
import type { Database, GroupRow } from '../db/index.ts';
import { namesById } from './names-by-id.ts';

type K = Kysely<Database>;

export async function findGroup(db: K, name: string): Promise<GroupRow | undefined> {
  return db.selectFrom('groups').selectAll().where('name', '=', name).executeTakeFirst();
}

export async function listGroups(
  db: K,
  page: { offset: number; limit: number },
  names: Set<string> | null,
): Promise<{ rows: GroupRow[]; total: number }> {
  let qb = db.selectFrom('groups');
  if (names) qb = names.size ? qb.where('name', 'in', [...names]) : qb.where((eb) => eb.val(false));
  const countRow = await qb.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const rows = await qb.selectAll().orderBy('id').limit(page.limit).offset(page.offset).execute();
  return { rows, total: Number(countRow.n) };
}

export async function insertGroup(db: K, name: string, properties: Record<string, unknown> = {}): Promise<GroupRow> {
  return db
    .insertInto('groups')
    .values({ name, properties: JSON.stringify(properties) })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function deleteGroup(db: K, id: number): Promise<void> {
  await db.deleteFrom('groups').where('id', '=', id).execute();
}

export async function setGroupProperties(db: K, id: number, properties: Record<string, unknown>): Promise<void> {
  await db
    .updateTable('groups')
    .set({ properties: JSON.stringify(properties) })
    .where('id', '=', id)
    .execute();
}

export function membersOfGroups(db: K, groupIds: number[]): Promise<Map<number, string[]>> {
  return namesById(groupIds, (chunk) =>
    db
      .selectFrom('user_group_map')
      .innerJoin('users', 'users.id', 'user_group_map.user_id')
      .select(['user_group_map.group_id as id', 'users.name as name'])
      .where('user_group_map.group_id', 'in', chunk)
      .orderBy('users.name')
      .execute(),
  );
}

export function rolesOfGroups(db: K, groupIds: number[]): Promise<Map<number, string[]>> {
  return roleNamesByHolder(db, 'group', groupIds);
}

export async function addMembers(db: K, groupId: number, userIds: number[]): Promise<void> {
  if (userIds.length === 0) return;
  await db
    .insertInto('user_group_map')
    .values(userIds.map((user_id) => ({ user_id, group_id: groupId })))
    .onConflict((oc) => oc.doNothing())
    .execute();
}

export async function removeMembers(db: K, groupId: number, userIds: number[]): Promise<void> {
  if (userIds.length === 0) return;
  await db.deleteFrom('user_group_map').where('group_id', '=', groupId).where('user_id', 'in', userIds).execute();
}

/** Every group's members, by group name: the lookup RBAC needs to match `!group=` filters. */
export async function allGroupNamesByUser(db: K, userName: string): Promise<string[]> {
  const rows = await db
    .selectFrom('user_group_map')
    .innerJoin('groups', 'groups.id', 'user_group_map.group_id')
    .innerJoin('users', 'users.id', 'user_group_map.user_id')
    .select('groups.name')
    .where('users.name', '=', userName)
    .execute();
  return rows.map((r) => r.name);
}
