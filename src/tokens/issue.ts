import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database, DbKind, TokenRow } from '../db/index.ts';
import { tokenLimitReached } from '../errors/index.ts';
import { isoIn, isoNow } from '../lib/time.ts';
import { countActiveApiTokens, insertToken, type TokenOwner, type TokenValues } from '../repo/tokens.ts';
import { digestToken, displayPrefix, generateToken, type TokenType } from './format.ts';
import type { TokenInsertBatch } from './insert-batch.ts';

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

// The hub id never changes once drawn (migration 012): read once per database handle.
const hubIds = new WeakMap<Kysely<Database>, Promise<string>>();

/** This hub's short id, as its typed tokens carry it. */
export function hubIdOf(db: Kysely<Database>): Promise<string> {
  let id = hubIds.get(db);
  if (!id) {
    id = db
      .selectFrom('hub_identity')
      .select('hub_id')
      .where('id', '=', 1)
      .executeTakeFirstOrThrow()
      .then((r) => r.hub_id);
    // A failed read (a closing database) must not stay cached.
    id.catch(() => hubIds.delete(db));
    if (!db.isTransaction) hubIds.set(db, id);
  }
  return id;
}

/** The kind letter a token of `req` carries. */
export function tokenTypeOf(req: Pick<IssueRequest, 'owner' | 'kind'>): TokenType {
  if (req.owner.kind === 'service') return 's';
  return req.kind === 'server' ? 'v' : req.kind === 'oauth' ? 'o' : 'p';
}

/** What a token is for, from its row (a legacy token has no kind letter; its row still says). */
export type TokenKindName = 'personal' | 'service' | 'server' | 'oauth' | 'config';

export function tokenKindName(row: Pick<TokenRow, 'kind' | 'service_id'>): TokenKindName {
  if (row.kind === 'config') return 'config';
  if (row.service_id !== null) return 'service';
  return row.kind === 'server' ? 'server' : row.kind === 'oauth' ? 'oauth' : 'personal';
}

/** Refuses a personal token beyond the owner's ceiling of active ones. */
async function checkLimit(
  trx: Transaction<Database>,
  kind: DbKind,
  userId: number,
  max: number,
  now: string,
): Promise<void> {
  // Two concurrent creates must not both see "4 of 5" and both insert: the owner row is locked first. On
  // SQLite that takes the write lock (one writer at a time), and writing before reading also keeps a write
  // from another process (`tshub token` beside the hub) between the count and the insert from failing ours.
  if (kind === 'postgres') await sql`select id from users where id = ${userId} for update`.execute(trx);
  else await sql`update users set id = id where id = ${userId}`.execute(trx);
  const active = await countActiveApiTokens(trx, userId, now);
  if (active >= max) throw tokenLimitReached(active, max);
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

export interface IssueOptions {
  /** Runs in the insert's transaction (rotation marks the old token there); throwing from it undoes the insert. */
  inTransaction?: (trx: Transaction<Database>, row: TokenRow) => Promise<void>;
  /**
   * The hub's batch of concurrent inserts (SQLite only: PostgreSQL commits concurrent transactions together
   * itself), used for a lone insert on `db` itself; none in a one-off process such as `tshub token`.
   */
  batch?: TokenInsertBatch | null;
}

/** Creates a token and returns its secret value (shown once, never stored) with its row. */
export async function issueToken(
  db: Kysely<Database>,
  dbKind: DbKind,
  req: IssueRequest,
  { inTransaction, batch }: IssueOptions = {},
): Promise<{ token: string; row: TokenRow }> {
  const token = generateToken({ kind: tokenTypeOf(req), hubId: await hubIdOf(db) });
  const max = req.owner.kind === 'user' && req.kind === 'api' ? req.maxActive : undefined;
  // A lone insert is atomic by itself: a transaction only when the limit is checked or `inTransaction` goes with the insert.
  if (!max && !inTransaction) {
    const values = tokenValues(token, req, isoNow());
    return {
      token,
      row: await (batch && dbKind === 'sqlite' && !db.isTransaction ? batch.insert(values) : insertToken(db, values)),
    };
  }
  const row = await db.transaction().execute(async (trx) => {
    const now = isoNow();
    if (max) await checkLimit(trx, dbKind, req.owner.id, max, now);
    const row = await insertToken(trx, tokenValues(token, req, now));
    if (inTransaction) await inTransaction(trx, row);
    return row;
  });
  return { token, row };
}
