import type { Kysely } from 'kysely';
import type { Database } from '../db/index.ts';

/** Names of the roles a user holds directly or through a group, or a service holds. */
export async function roleNamesOf(db: Kysely<Database>, kind: 'user' | 'service', id: number): Promise<string[]> {
  if (kind === 'service') {
    const rows = await db
      .selectFrom('service_role_map')
      .innerJoin('roles', 'roles.id', 'service_role_map.role_id')
      .select('roles.name')
      .where('service_role_map.service_id', '=', id)
      .execute();
    return rows.map((r) => r.name);
  }
  const direct = db
    .selectFrom('user_role_map')
    .innerJoin('roles', 'roles.id', 'user_role_map.role_id')
    .select('roles.name')
    .where('user_role_map.user_id', '=', id);
  const viaGroups = db
    .selectFrom('user_group_map')
    .innerJoin('group_role_map', 'group_role_map.group_id', 'user_group_map.group_id')
    .innerJoin('roles', 'roles.id', 'group_role_map.role_id')
    .select('roles.name')
    .where('user_group_map.user_id', '=', id);
  const rows = await direct.union(viaGroups).execute();
  return rows.map((r) => r.name);
}
