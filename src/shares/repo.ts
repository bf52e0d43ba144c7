import type { AliasedSelectQueryBuilder, Kysely } from 'kysely';
import { compiledQuery } from '../db/compiled-query.ts';
import type { Database, ShareCodeRow, ShareRow } from '../db/index.ts';
import { parseJson } from '../lib/json.ts';

type K = Kysely<Database>;

/**
 * A share's or code's scopes filtered to its server as it is named now: the stored filter names the
 * owner and server at the time of sharing, and a renamed user or server must neither lose its shares nor
 * leave them pointing at a name someone else may take.
 */
export function scopesOn(v: { scopes: string; owner_name: string; server_name: string }): string[] {
  const filter = `!server=${v.owner_name}/${v.server_name}`;
  return [...new Set(parseJson<string[]>(v.scopes, []).map((s) => `${s.split('!', 1)[0]}${filter}`))].sort();
}

/** A share or code with the names its model shows, read in the same query (presenters run none). */
export interface ShareView extends ShareRow {
  owner_name: string;
  server_name: string;
  server_url: string | null;
  pending: string | null;
  user_name: string | null;
  group_name: string | null;
}

export interface ShareCodeView extends ShareCodeRow {
  owner_name: string;
  server_name: string;
  server_url: string | null;
  pending: string | null;
}

/** Which shares a listing covers: one server's, one owner's, or those granted to a user (and its groups) or a group. */
export type ShareSelector =
  | { spawnerId: number }
  | { ownerId: number }
  | { userId: number; groupIds: number[] }
  | { groupId: number };

async function countOf(db: K, q: { as(alias: 'x'): AliasedSelectQueryBuilder<object, 'x'> }): Promise<number> {
  const row = await db
    .selectFrom(q.as('x'))
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

function sharesQuery(db: K) {
  return db
    .selectFrom('shares')
    .innerJoin('spawners', 'spawners.id', 'shares.spawner_id')
    .innerJoin('users as owner', 'owner.id', 'shares.owner_id')
    .leftJoin('users as target', 'target.id', 'shares.user_id')
    .leftJoin('groups', 'groups.id', 'shares.group_id')
    .selectAll('shares')
    .select([
      'owner.name as owner_name',
      'spawners.name as server_name',
      'spawners.server_url',
      'spawners.pending',
      'target.name as user_name',
      'groups.name as group_name',
    ]);
}

function selectShares(db: K, s: ShareSelector) {
  const q = sharesQuery(db);
  if ('spawnerId' in s) return q.where('shares.spawner_id', '=', s.spawnerId);
  if ('ownerId' in s) return q.where('shares.owner_id', '=', s.ownerId);
  if ('groupId' in s) return q.where('shares.group_id', '=', s.groupId);
  const { userId, groupIds } = s;
  return q.where((eb) =>
    groupIds.length
      ? eb.or([eb('shares.user_id', '=', userId), eb('shares.group_id', 'in', groupIds)])
      : eb('shares.user_id', '=', userId),
  );
}

export async function listShares(
  db: K,
  s: ShareSelector,
  page: { offset: number; limit: number },
): Promise<{ rows: ShareView[]; total: number }> {
  const q = selectShares(db, s);
  const [rows, total] = await Promise.all([
    q.orderBy('shares.id').limit(page.limit).offset(page.offset).execute(),
    countOf(db, q),
  ]);
  return { rows, total };
}

/** The share of one server with one user or group. */
export async function findShare(
  db: K,
  spawnerId: number,
  to: { userId: number } | { groupId: number },
): Promise<ShareView | undefined> {
  const q = sharesQuery(db).where('shares.spawner_id', '=', spawnerId);
  return (
    'userId' in to ? q.where('shares.user_id', '=', to.userId) : q.where('shares.group_id', '=', to.groupId)
  ).executeTakeFirst();
}

function codesQuery(db: K) {
  return db
    .selectFrom('share_codes')
    .innerJoin('spawners', 'spawners.id', 'share_codes.spawner_id')
    .innerJoin('users as owner', 'owner.id', 'share_codes.owner_id')
    .selectAll('share_codes')
    .select(['owner.name as owner_name', 'spawners.name as server_name', 'spawners.server_url', 'spawners.pending']);
}

/** Unexpired codes of one server or one owner, oldest first. */
export async function listShareCodes(
  db: K,
  s: { spawnerId: number } | { ownerId: number },
  page: { offset: number; limit: number },
  nowIso: string,
): Promise<{ rows: ShareCodeView[]; total: number }> {
  const live = codesQuery(db).where('share_codes.expires_at', '>', nowIso);
  const q =
    'spawnerId' in s
      ? live.where('share_codes.spawner_id', '=', s.spawnerId)
      : live.where('share_codes.owner_id', '=', s.ownerId);
  const [rows, total] = await Promise.all([
    q.orderBy('share_codes.id').limit(page.limit).offset(page.offset).execute(),
    countOf(db, q),
  ]);
  return { rows, total };
}

export async function findShareCodeById(db: K, id: number): Promise<ShareCodeView | undefined> {
  return codesQuery(db).where('share_codes.id', '=', id).executeTakeFirst();
}

export async function findShareCodeByDigest(db: K, hashed: string): Promise<ShareCodeView | undefined> {
  return codesQuery(db).where('share_codes.hashed', '=', hashed).executeTakeFirst();
}

/**
 * The unexpanded scopes shared with a user, directly and through its groups: added to what its roles
 * give it (src/auth/principal.ts), so every token, session and OAuth grant of the user sees them.
 */
// Asked for every user whose scopes are worked out afresh (each new token's owner): compiled once.
const sharedWith = compiledQuery((db, a: { userId: number }) =>
  db
    .selectFrom('shares')
    .innerJoin('spawners', 'spawners.id', 'shares.spawner_id')
    .innerJoin('users as owner', 'owner.id', 'shares.owner_id')
    .select(['shares.scopes', 'owner.name as owner_name', 'spawners.name as server_name'])
    .where((eb) =>
      eb.or([
        eb('shares.user_id', '=', a.userId),
        eb(
          'shares.group_id',
          'in',
          eb
            .selectFrom('user_group_map')
            .select('user_group_map.group_id')
            .where('user_group_map.user_id', '=', a.userId),
        ),
      ]),
    ),
);

export async function scopesSharedWith(db: K, userId: number): Promise<string[]> {
  return (await sharedWith.execute(db, { userId })).rows.flatMap(scopesOn);
}

/** Ids of the groups a user is in (a user's listing of what is shared with it covers its groups'). */
export async function groupIdsOf(db: K, userId: number): Promise<number[]> {
  const rows = await db.selectFrom('user_group_map').select('group_id').where('user_id', '=', userId).execute();
  return rows.map((r) => r.group_id);
}
