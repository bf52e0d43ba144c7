import type { Kysely, Transaction } from 'kysely';
import { compiledQuery } from '../db/compiled-query.ts';
import type { Database, NewToken, TokenRow } from '../db/index.ts';

type K = Kysely<Database> | Transaction<Database>;

/** Every column of a new token, none left to its default: the insert has one fixed shape. */
export type TokenValues = Required<Omit<NewToken, 'id'>>;

// Token creation and lookup are hot paths: these run as compiled once (src/db/compiled-query.ts).
const insertTokenQuery = compiledQuery((db, t: TokenValues) =>
  db
    .insertInto('api_tokens')
    .values({
      hashed: t.hashed,
      prefix: t.prefix,
      kind: t.kind,
      user_id: t.user_id,
      service_id: t.service_id,
      client_id: t.client_id,
      session_id: t.session_id,
      note: t.note,
      scopes: t.scopes,
      created: t.created,
      expires_at: t.expires_at,
      last_activity: t.last_activity,
      last_used_ip: t.last_used_ip,
      revoked_at: t.revoked_at,
      rotated_from: t.rotated_from,
      replaced_by: t.replaced_by,
    })
    .returning('id'),
);
const tokenByHash = compiledQuery((db, a: { hashed: string }) =>
  db.selectFrom('api_tokens').selectAll().where('hashed', '=', a.hashed),
);
const tokenById = compiledQuery((db, a: { id: number }) =>
  db.selectFrom('api_tokens').selectAll().where('id', '=', a.id),
);
const activeApiTokenCount = compiledQuery((db, a: { userId: number; now: string }) =>
  db
    .selectFrom('api_tokens')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', a.userId)
    .where('kind', '=', 'api')
    .where('revoked_at', 'is', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', a.now)])),
);

export async function insertToken(db: K, values: TokenValues): Promise<TokenRow> {
  // Every column is given, so the stored row is the values and the new id: reading it all back is waste.
  const inserted = await insertTokenQuery.first(db, values);
  if (!inserted) throw new Error('insert into api_tokens returned no row');
  return { id: inserted.id, ...values };
}

export async function findTokenByHash(db: K, hashed: string): Promise<TokenRow | undefined> {
  return tokenByHash.first(db, { hashed });
}

/** Config-given tokens carry a salted slow hash, so they are found by their short prefix and then verified. */
export async function findSlowHashedByPrefix(db: K, prefix: string): Promise<TokenRow[]> {
  return db
    .selectFrom('api_tokens')
    .selectAll()
    .where('prefix', '=', prefix)
    .where('hashed', 'like', 'scrypt:%')
    .execute();
}

export async function findTokenById(db: K, id: number): Promise<TokenRow | undefined> {
  return tokenById.first(db, { id });
}

export type TokenOwner = { kind: 'user'; id: number } | { kind: 'service'; id: number };

function ownerColumn(owner: TokenOwner): 'user_id' | 'service_id' {
  return owner.kind === 'user' ? 'user_id' : 'service_id';
}

/** Tokens that still work at `nowIso`: not revoked and not expired. */
export async function listTokens(
  db: K,
  owner: TokenOwner,
  opts: { nowIso: string; includeInactive: boolean },
): Promise<TokenRow[]> {
  let qb = db.selectFrom('api_tokens').selectAll().where(ownerColumn(owner), '=', owner.id);
  if (!opts.includeInactive) {
    qb = qb
      .where('revoked_at', 'is', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', opts.nowIso)]));
  }
  return qb.orderBy('id').execute();
}

export async function countActiveApiTokens(db: K, userId: number, nowIso: string): Promise<number> {
  const r = await activeApiTokenCount.first(db, { userId, now: nowIso });
  return Number(r?.n ?? 0);
}

export async function revokeTokens(db: K, ids: number[], nowIso: string): Promise<number> {
  if (ids.length === 0) return 0;
  const r = await db
    .updateTable('api_tokens')
    .set({ revoked_at: nowIso })
    .where('id', 'in', ids)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

export async function activeTokenIds(
  db: K,
  where: {
    userId?: number;
    serviceId?: number;
    sessionId?: string;
    clientId?: string;
    kind?: string;
    notKind?: string;
  },
): Promise<number[]> {
  let qb = db.selectFrom('api_tokens').select('id').where('revoked_at', 'is', null);
  if (where.userId !== undefined) qb = qb.where('user_id', '=', where.userId);
  if (where.serviceId !== undefined) qb = qb.where('service_id', '=', where.serviceId);
  if (where.sessionId !== undefined) qb = qb.where('session_id', '=', where.sessionId);
  if (where.clientId !== undefined) qb = qb.where('client_id', '=', where.clientId);
  if (where.kind !== undefined) qb = qb.where('kind', '=', where.kind);
  if (where.notKind !== undefined) qb = qb.where('kind', '!=', where.notKind);
  return (await qb.execute()).map((r) => r.id);
}

// The activity writer records every token in use (src/auth/activity.ts): compiled once.
const tokenUse = compiledQuery((db, a: { id: number; iso: string; ip: string | null }) =>
  db
    .updateTable('api_tokens')
    .set({ last_activity: a.iso, last_used_ip: a.ip })
    .where('id', '=', a.id)
    .where((eb) => eb.or([eb('last_activity', 'is', null), eb('last_activity', '<', a.iso)])),
);

export async function recordTokenUse(db: K, id: number, iso: string, ip: string | null): Promise<void> {
  await tokenUse.execute(db, { id, iso, ip });
}

/** Marks a live token as replaced by `newId`, ending at `expiresAt`; false if it was revoked or rotated already. */
export async function markRotated(db: K, oldId: number, newId: number, expiresAt: string): Promise<boolean> {
  const r = await db
    .updateTable('api_tokens')
    .set({ replaced_by: newId, expires_at: expiresAt })
    .where('id', '=', oldId)
    .where('replaced_by', 'is', null)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}
