import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { roleNamesByHolder } from './roles.ts';
import { compiledQuery } from '../db/compiled-query.ts';
import type { Database, SpawnerRow, UserRow } from '../db/index.ts';
import { isoNow } from '../lib/time.ts';
import { namesById } from './names-by-id.ts';

type K = Kysely<Database>;

// Nearly every request looks a user up: compiled once (src/db/compiled-query.ts).
const userByName = compiledQuery((db, a: { name: string }) =>
  db.selectFrom('users').selectAll().where('name', '=', a.name),
);
const userById = compiledQuery((db, a: { id: number }) => db.selectFrom('users').selectAll().where('id', '=', a.id));

export async function findUser(db: K, name: string): Promise<UserRow | undefined> {
  return userByName.first(db, { name });
}

export async function findUserById(db: K, id: number): Promise<UserRow | undefined> {
  return userById.first(db, { id });
}

export async function existingUserNames(db: K, names: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  // Chunked so a bulk request stays under SQLite's bound-parameter limit.
  for (let i = 0; i < names.length; i += 500) {
    const rows = await db
      .selectFrom('users')
      .select('name')
      .where('name', 'in', names.slice(i, i + 500))
      .execute();
    for (const r of rows) found.add(r.name);
  }
  return found;
}

export async function insertUser(db: K, name: string, admin: boolean): Promise<UserRow> {
  return db
    .insertInto('users')
    .values({
      name,
      admin: admin ? 1 : 0,
      created: isoNow(),
      last_activity: null,
      auth_state: null,
      cookie_id: randomUUID(),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * Creates several users at once, each with the default roles (`user`, and `admin` when flagged), in
 * two statements: the bulk API's fast path. Names must be new; returns the rows in the given order.
 */
export async function insertUsersWithDefaultRoles(db: K, names: string[], admin: boolean): Promise<UserRow[]> {
  if (names.length === 0) return [];
  const created = isoNow();
  const rows = await db
    .insertInto('users')
    .values(
      names.map((name) => ({
        name,
        admin: admin ? 1 : 0,
        created,
        last_activity: null,
        auth_state: null,
        cookie_id: randomUUID(),
      })),
    )
    .returningAll()
    .execute();
  const roleNames = admin ? ['user', 'admin'] : ['user'];
  const roles = await db.selectFrom('roles').select('id').where('name', 'in', roleNames).execute();
  const grants = rows.flatMap((u) => roles.map((r) => ({ user_id: u.id, role_id: r.id })));
  if (grants.length)
    await db
      .insertInto('user_role_map')
      .values(grants)
      .onConflict((oc) => oc.doNothing())
      .execute();
  const byName = new Map(rows.map((r) => [r.name, r]));
  return names.map((n) => byName.get(n)!);
}

/** The user named `name`, created with the default roles if missing (config lists: load_roles, api_tokens). */
export async function findOrCreateUser(db: K, name: string): Promise<UserRow> {
  return (await findUser(db, name)) ?? (await insertUsersWithDefaultRoles(db, [name], false))[0]!;
}

export async function updateUser(
  db: K,
  id: number,
  changes: { name?: string; admin?: boolean; auth_state?: string | null },
): Promise<void> {
  const values: Record<string, unknown> = {};
  if (changes.name !== undefined) values.name = changes.name;
  if (changes.admin !== undefined) values.admin = changes.admin ? 1 : 0;
  if (changes.auth_state !== undefined) values.auth_state = changes.auth_state;
  if (Object.keys(values).length === 0) return;
  await db.updateTable('users').set(values).where('id', '=', id).execute();
}

export async function deleteUser(db: K, id: number): Promise<void> {
  await db.deleteFrom('users').where('id', '=', id).execute();
}

// A listing's and whoami's loaders: compiled once (src/db/compiled-query.ts), whatever the page.
const groupNamesOf = compiledQuery(
  (db, a: { ids: number[] }) =>
    db
      .selectFrom('user_group_map')
      .innerJoin('groups', 'groups.id', 'user_group_map.group_id')
      .select(['user_group_map.user_id as id', 'groups.name as name'])
      .where('user_group_map.user_id', 'in', a.ids)
      .orderBy('groups.name'),
  { lists: ['ids'] },
);
const spawnersOfUsers = compiledQuery(
  (db, a: { ids: number[] }) => db.selectFrom('spawners').selectAll().where('user_id', 'in', a.ids).orderBy('name'),
  { lists: ['ids'] },
);
const activeSpawnersOfUsers = compiledQuery(
  (db, a: { ids: number[] }) =>
    db
      .selectFrom('spawners')
      .selectAll()
      .where('user_id', 'in', a.ids)
      .where((eb) => eb.or([eb('server_url', 'is not', null), eb('pending', 'is not', null)]))
      .orderBy('name'),
  { lists: ['ids'] },
);

/** Group names per user id, for a page of users. */
export function groupsOfUsers(db: K, userIds: number[]): Promise<Map<number, string[]>> {
  return namesById(userIds, async (chunk) => (await groupNamesOf.execute(db, { ids: chunk })).rows);
}

export function rolesOfUsers(db: K, userIds: number[]): Promise<Map<number, string[]>> {
  return roleNamesByHolder(db, 'user', userIds);
}

// The activity writer moves every active user's last activity (src/auth/activity.ts): compiled once.
const userActivity = compiledQuery((db, a: { id: number; iso: string }) =>
  db
    .updateTable('users')
    .set({ last_activity: a.iso })
    .where('id', '=', a.id)
    // Only move forward: an older report must never overwrite a newer one.
    .where((eb) => eb.or([eb('last_activity', 'is', null), eb('last_activity', '<', a.iso)])),
);

export async function touchUserActivity(db: K, id: number, iso: string): Promise<void> {
  await userActivity.execute(db, { id, iso });
}

/** Names of the user's servers that have a record (running or not). */
export async function serverNamesOf(db: K, userId: number): Promise<string[]> {
  const rows = await db.selectFrom('spawners').select('name').where('user_id', '=', userId).execute();
  return rows.map((r) => r.name);
}

/** A new cookie id: every login cookie issued to the user so far stops working (sessions end). */
export async function rotateCookieId(db: K, id: number): Promise<void> {
  await db.updateTable('users').set({ cookie_id: randomUUID() }).where('id', '=', id).execute();
}

/** What a User model shows beside the row: group and role names and servers, per user id. */
export interface UserFacts {
  groups: Map<number, string[]>;
  roles: Map<number, string[]>;
  spawners: Map<number, SpawnerRow[]>;
}

/**
 * The facts of a page of users in bulk. Active servers only (running, or starting or stopping) unless
 * stopped ones are asked for too; `memberships` when the caller has them already (a principal's own).
 */
export async function loadUserFacts(
  db: K,
  userIds: number[],
  opts: { includeStoppedServers: boolean; memberships?: Pick<UserFacts, 'groups' | 'roles'> },
): Promise<UserFacts> {
  const [groups, roles, spawners] = await Promise.all([
    opts.memberships?.groups ?? groupsOfUsers(db, userIds),
    opts.memberships?.roles ?? rolesOfUsers(db, userIds),
    spawnersOf(db, userIds, opts.includeStoppedServers),
  ]);
  return { groups, roles, spawners };
}

/** The group and role names of one user. */
export async function membershipsOf(db: K, userId: number): Promise<{ groups: string[]; roles: string[] }> {
  const [groups, roles] = await Promise.all([groupsOfUsers(db, [userId]), rolesOfUsers(db, [userId])]);
  return { groups: groups.get(userId) ?? [], roles: roles.get(userId) ?? [] };
}

async function spawnersOf(db: K, userIds: number[], includeStopped: boolean): Promise<Map<number, SpawnerRow[]>> {
  const out = new Map<number, SpawnerRow[]>();
  const query = includeStopped ? spawnersOfUsers : activeSpawnersOfUsers;
  for (let i = 0; i < userIds.length; i += 500) {
    for (const row of (await query.execute(db, { ids: userIds.slice(i, i + 500) })).rows) {
      const list = out.get(row.user_id);
      if (list) list.push(row);
      else out.set(row.user_id, [row]);
    }
  }
  return out;
}
