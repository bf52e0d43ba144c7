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

/**
 * Removes a service with everything that hangs on it: its tokens, its OAuth client with the codes and
 * tokens that client issued to users, and the row (roles go by cascade). Call it in a transaction.
 */
export async function deleteServiceWithRecords(db: K, row: Pick<ServiceRow, 'id' | 'oauth_client_id'>): Promise<void> {
  await db.deleteFrom('api_tokens').where('service_id', '=', row.id).execute();
  if (row.oauth_client_id !== null) {
    await db.deleteFrom('api_tokens').where('client_id', '=', row.oauth_client_id).execute();
    await db.deleteFrom('oauth_codes').where('client_id', '=', row.oauth_client_id).execute();
    await db.deleteFrom('oauth_clients').where('identifier', '=', row.oauth_client_id).execute();
  }
  await db.deleteFrom('services').where('id', '=', row.id).execute();
}

/** Live tokens of `kind` that the service owns with exactly this note (e.g. a managed run's token). */
export async function serviceTokenIdsWithNote(db: K, serviceId: number, kind: string, note: string): Promise<number[]> {
  const rows = await db
    .selectFrom('api_tokens')
    .select('id')
    .where('service_id', '=', serviceId)
    .where('kind', '=', kind)
    .where('note', '=', note)
    .where('revoked_at', 'is', null)
    .execute();
  return rows.map((r) => r.id);
}

/** Live config-kind tokens of services created through the API (kept when config tokens are synced). */
export async function apiServiceConfigTokenIds(db: K): Promise<number[]> {
  const rows = await db
    .selectFrom('api_tokens')
    .innerJoin('services', 'services.id', 'api_tokens.service_id')
    .select('api_tokens.id')
    .where('services.from_config', '=', 0)
    .where('api_tokens.kind', '=', 'config')
    .where('api_tokens.revoked_at', 'is', null)
    .execute();
  return rows.map((r) => r.id);
}
