import type { Kysely } from 'kysely';
import type { Database, SpawnerRow } from '../db/index.ts';

type K = Kysely<Database>;

export async function findSpawner(db: K, userId: number, name: string): Promise<SpawnerRow | undefined> {
  return db
    .selectFrom('spawners')
    .selectAll()
    .where('user_id', '=', userId)
    .where('name', '=', name)
    .executeTakeFirst();
}

export async function getOrCreateSpawner(
  db: K,
  userId: number,
  name: string,
  displayName: string | null = null,
): Promise<SpawnerRow> {
  const existing = await findSpawner(db, userId, name);
  if (existing) return existing;
  await db
    .insertInto('spawners')
    .values({
      user_id: userId,
      name,
      display_name: displayName,
      state: '{}',
      user_options: '{}',
      started: null,
      last_activity: null,
      server_url: null,
      oauth_client_id: null,
      pending: null,
    })
    .onConflict((oc) => oc.doNothing())
    .execute();
  return (await findSpawner(db, userId, name))!;
}

export async function updateSpawner(
  db: K,
  id: number,
  values: Partial<Omit<SpawnerRow, 'id' | 'user_id'>>,
): Promise<void> {
  if (Object.keys(values).length) await db.updateTable('spawners').set(values).where('id', '=', id).execute();
}

export async function deleteSpawner(db: K, id: number): Promise<void> {
  await db.deleteFrom('spawners').where('id', '=', id).execute();
}

export async function countNamedSpawners(db: K, userId: number): Promise<number> {
  const r = await db
    .selectFrom('spawners')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', userId)
    .where('name', '!=', '')
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Servers that were running or in transition: what a starting hub must re-adopt or clean up. */
export async function activeSpawners(db: K): Promise<(SpawnerRow & { user_name: string })[]> {
  return db
    .selectFrom('spawners')
    .innerJoin('users', 'users.id', 'spawners.user_id')
    .selectAll('spawners')
    .select('users.name as user_name')
    .where((eb) => eb.or([eb('spawners.server_url', 'is not', null), eb('spawners.pending', 'is not', null)]))
    .execute();
}

export async function touchSpawnerActivity(db: K, id: number, iso: string): Promise<void> {
  await db
    .updateTable('spawners')
    .set({ last_activity: iso })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('last_activity', 'is', null), eb('last_activity', '<', iso)]))
    .execute();
}
