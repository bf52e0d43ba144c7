import type { Kysely } from 'kysely';
import type { Database, ServiceRow } from '../db/index.ts';

type K = Kysely<Database>;

export async function findService(db: K, name: string): Promise<ServiceRow | undefined> {
  return db.selectFrom('services').selectAll().where('name', '=', name).executeTakeFirst();
}

export async function findServiceById(db: K, id: number): Promise<ServiceRow | undefined> {
  return db.selectFrom('services').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function allServices(db: K): Promise<ServiceRow[]> {
  return db.selectFrom('services').selectAll().orderBy('name').execute();
}

export interface ServiceFields {
  name: string;
  admin: boolean;
  url: string | null;
  oauth_client_id: string | null;
  info: Record<string, unknown>;
  display: boolean;
  from_config: boolean;
}

export async function upsertService(db: K, f: ServiceFields): Promise<ServiceRow> {
  const values = {
    admin: f.admin ? 1 : 0,
    url: f.url,
    oauth_client_id: f.oauth_client_id,
    info: JSON.stringify(f.info),
    display: f.display ? 1 : 0,
    from_config: f.from_config ? 1 : 0,
  };
  const existing = await findService(db, f.name);
  if (existing) {
    await db.updateTable('services').set(values).where('id', '=', existing.id).execute();
    return { ...existing, ...values };
  }
  return db
    .insertInto('services')
    .values({ name: f.name, created: new Date().toISOString(), ...values })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function deleteService(db: K, id: number): Promise<void> {
  await db.deleteFrom('services').where('id', '=', id).execute();
}
