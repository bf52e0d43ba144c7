import { sql, type Kysely } from 'kysely';
import { compiledQuery, type FixedQuery } from '../db/compiled-query.ts';
import type { Database, RoleRow } from '../db/index.ts';
import { parseJson } from '../lib/json.ts';
import { namesById } from './names-by-id.ts';

type K = Kysely<Database>;
export type RoleHolder = 'user' | 'group' | 'service';

const MAP = {
  user: { table: 'user_role_map', owner: 'user_id' },
  group: { table: 'group_role_map', owner: 'group_id' },
  service: { table: 'service_role_map', owner: 'service_id' },
} as const;

export async function findRole(db: K, name: string): Promise<RoleRow | undefined> {
  return db.selectFrom('roles').selectAll().where('name', '=', name).executeTakeFirst();
}

export async function allRoles(db: K): Promise<RoleRow[]> {
  return db.selectFrom('roles').selectAll().orderBy('name').execute();
}

export async function upsertRole(db: K, name: string, description: string | null, scopes: string[]): Promise<RoleRow> {
  const existing = await findRole(db, name);
  const values = { description, scopes: JSON.stringify(scopes) };
  if (existing) {
    await db.updateTable('roles').set(values).where('id', '=', existing.id).execute();
    return { ...existing, ...values };
  }
  return db
    .insertInto('roles')
    .values({ name, ...values })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function deleteRole(db: K, id: number): Promise<void> {
  await db.deleteFrom('roles').where('id', '=', id).execute();
}

export async function grantRole(db: K, holder: RoleHolder, ownerId: number, roleId: number): Promise<void> {
  const m = MAP[holder];
  await db
    .insertInto(m.table)
    .values({ [m.owner]: ownerId, role_id: roleId } as never)
    .onConflict((oc) => oc.doNothing())
    .execute();
}

export async function revokeRole(db: K, holder: RoleHolder, ownerId: number, roleId: number): Promise<void> {
  const m = MAP[holder];
  await db.deleteFrom(m.table).where(sql.ref(m.owner), '=', ownerId).where('role_id', '=', roleId).execute();
}

export async function holdersOfRole(db: K, holder: RoleHolder, roleId: number): Promise<number[]> {
  const m = MAP[holder];
  const rows = (await db
    .selectFrom(m.table)
    .select(m.owner as never)
    .where('role_id', '=', roleId)
    .execute()) as Record<string, number>[];
  return rows.map((r) => r[m.owner] as number);
}

// Asked for every owner whose scopes are worked out afresh (each new token's owner): compiled once.
const rolesHeldByService = compiledQuery((db, a: { id: number }) =>
  db
    .selectFrom('service_role_map')
    .innerJoin('roles', 'roles.id', 'service_role_map.role_id')
    .select(['roles.name', 'roles.scopes'])
    .where('service_role_map.service_id', '=', a.id),
);
const rolesHeldByUser = compiledQuery((db, a: { id: number }) =>
  db
    .selectFrom('user_role_map')
    .innerJoin('roles', 'roles.id', 'user_role_map.role_id')
    .select(['roles.name', 'roles.scopes'])
    .where('user_role_map.user_id', '=', a.id)
    .unionAll(
      db
        .selectFrom('user_group_map')
        .innerJoin('group_role_map', 'group_role_map.group_id', 'user_group_map.group_id')
        .innerJoin('roles', 'roles.id', 'group_role_map.role_id')
        .select(['roles.name', 'roles.scopes'])
        .where('user_group_map.user_id', '=', a.id),
    ),
);

/**
 * The roles a user holds directly and through its groups, or a service holds: name and scopes of each
 * (a role held both ways comes twice).
 */
async function heldRoles(db: K, kind: 'user' | 'service', id: number): Promise<{ name: string; scopes: string }[]> {
  return (await (kind === 'service' ? rolesHeldByService : rolesHeldByUser).execute(db, { id })).rows;
}

/** The scopes a user holds through its own roles and its groups' roles (unexpanded). */
export async function scopesOfUser(db: K, userId: number): Promise<string[]> {
  return (await heldRoles(db, 'user', userId)).flatMap((r) => parseJson<string[]>(r.scopes, []));
}

export async function scopesOfService(db: K, serviceId: number): Promise<string[]> {
  return (await heldRoles(db, 'service', serviceId)).flatMap((r) => parseJson<string[]>(r.scopes, []));
}

/** Names of every role a user holds, directly or through a group, or a service holds. */
export async function roleNamesHeld(db: K, kind: 'user' | 'service', id: number): Promise<string[]> {
  return [...new Set((await heldRoles(db, kind, id)).map((r) => r.name))];
}

// Every listing and whoami asks: compiled once per holder kind (src/db/compiled-query.ts). Each holder's
// role ids come from the map's primary key alone and the names from the (small) roles table: joining the
// names in and sorting them in SQL took twice as long for a page of 100 users, most of it making a string
// of the same name for every row.
const roleIdsOf = Object.fromEntries(
  (Object.keys(MAP) as RoleHolder[]).map((holder) => {
    const m = MAP[holder];
    const owner = sql.ref<number>(`${m.table}.${m.owner}`);
    const query = compiledQuery(
      (db, a: { ids: number[] }) =>
        db
          .selectFrom(m.table)
          .select([owner.as('id'), `${m.table}.role_id as roleId` as never])
          .where(owner, 'in', a.ids),
      { lists: ['ids'] },
    );
    return [holder, query];
  }),
) as Record<RoleHolder, FixedQuery<{ ids: number[] }, { id: number; roleId: number }>>;
const roleNames = compiledQuery((db, _a: object) => db.selectFrom('roles').select(['id', 'name']));

/** Role names per holder id (direct grants, as the models show), sorted, for a page of users, groups or services. */
export async function roleNamesByHolder(db: K, holder: RoleHolder, ids: number[]): Promise<Map<number, string[]>> {
  const names = new Map((await roleNames.execute(db, {})).rows.map((r) => [r.id, r.name]));
  const out = await namesById(ids, async (chunk) =>
    // A role made and granted between the two reads is not named yet: left out, as if granted just after.
    (await roleIdsOf[holder].execute(db, { ids: chunk })).rows.flatMap((r) => {
      const name = names.get(r.roleId);
      return name === undefined ? [] : [{ id: r.id, name }];
    }),
  );
  // Role names are ASCII (validated), so this is the byte order SQLite's ORDER BY gave.
  for (const list of out.values()) list.sort();
  return out;
}

/** Every user holds `user`; `admin` follows the admin flag (as upstream's assign_default_roles). */
export async function assignDefaultRoles(db: K, userId: number, admin: boolean): Promise<void> {
  const userRole = await findRole(db, 'user');
  if (userRole) await grantRole(db, 'user', userId, userRole.id);
  const adminRole = await findRole(db, 'admin');
  if (!adminRole) return;
  if (admin) await grantRole(db, 'user', userId, adminRole.id);
  else await revokeRole(db, 'user', userId, adminRole.id);
}
