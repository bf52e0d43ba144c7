import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database, DbKind, TokenRow } from '../db/index.ts';
import { invalidRequest } from '../errors/index.ts';
import { isoIn, isoNow } from '../lib/time.ts';
import { countActiveApiTokens, insertToken, type TokenOwner, type TokenValues } from '../repo/tokens.ts';
import { digestToken, displayPrefix, generateToken } from './format.ts';
import { TokenInsertBatch } from './insert-batch.ts';

export type TokenKind = 'api' | 'server' | 'oauth' | 'config';

export interface IssueRequest {
  owner: TokenOwner;
  kind: TokenKind;
  note: string;
  /** Unexpanded scopes; ['inherit'] = everything the owner holds, now and later. */
  scopes: string[];
  /** Seconds until expiry; null = never. */
  expiresIn: number | null;
  clientId?: string;
  sessionId?: string | null;
  rotatedFrom?: number | null;
  /** Personal-token ceiling to enforce (tokens.max_active_per_user); 0 or undefined = none. */
  maxActive?: number;
}

/** Refuses a personal token beyond the owner's ceiling of active ones. */
async function checkLimit(
  trx: Transaction<Database>,
  kind: DbKind,
  userId: number,
  max: number,
  now: string,
): Promise<void> {
  // SQLite runs one write transaction at a time already; PostgreSQL needs the owner row locked so two
  // concurrent creates cannot both see "4 of 5" and both insert.
  if (kind === 'postgres') await sql`select id from users where id = ${userId} for update`.execute(trx);
  const active = await countActiveApiTokens(trx, userId, now);
  if (active >= max) {
    throw invalidRequest(
      `Token limit reached: you already have ${active} active tokens (the maximum is ${max}). Revoke one before creating another.`,
      'token_limit_reached',
    );
  }
}

function tokenValues(token: string, req: IssueRequest, now: string): TokenValues {
  return {
    hashed: digestToken(token),
    prefix: displayPrefix(token),
    kind: req.kind,
    user_id: req.owner.kind === 'user' ? req.owner.id : null,
    service_id: req.owner.kind === 'service' ? req.owner.id : null,
    client_id: req.clientId ?? 'jupyterhub',
    session_id: req.sessionId ?? null,
    note: req.note,
    scopes: JSON.stringify(req.scopes),
    created: now,
    expires_at: req.expiresIn ? isoIn(req.expiresIn) : null,
    last_activity: null,
    last_used_ip: null,
    revoked_at: null,
    rotated_from: req.rotatedFrom ?? null,
    replaced_by: null,
  };
}

// PostgreSQL commits concurrent transactions together itself; SQLite gains from being handed them together.
const batches = new WeakMap<Kysely<Database>, TokenInsertBatch>();

function batchFor(db: Kysely<Database>): TokenInsertBatch {
  let batch = batches.get(db);
  if (!batch) batches.set(db, (batch = new TokenInsertBatch(db)));
  return batch;
}

/**
 * Creates a token and returns its secret value (shown once, never stored) with its row. `then` runs in the
 * same transaction after the insert (rotation marks the old token there); throwing from it undoes the insert.
 */
export async function issueToken(
  db: Kysely<Database>,
  dbKind: DbKind,
  req: IssueRequest,
  then?: (trx: Transaction<Database>, row: TokenRow) => Promise<void>,
): Promise<{ token: string; row: TokenRow }> {
  const token = generateToken();
  const max = req.owner.kind === 'user' && req.kind === 'api' ? req.maxActive : undefined;
  // A lone insert is atomic by itself: a transaction only when the limit is checked or `then` goes with the insert.
  if (!max && !then) {
    const values = tokenValues(token, req, isoNow());
    return {
      token,
      row: await (dbKind === 'sqlite' && !db.isTransaction ? batchFor(db).insert(values) : insertToken(db, values)),
    };
  }
  const row = await db.transaction().execute(async (trx) => {
    const now = isoNow();
    if (max) await checkLimit(trx, dbKind, req.owner.id, max, now);
    const row = await insertToken(trx, tokenValues(token, req, now));
    if (then) await then(trx, row);
    return row;
  });
  return { token, row };
}
