import type { Kysely } from 'kysely';
import type { Database } from '../db/index.ts';
import { isoNow } from '../lib/time.ts';
import { insertToken, revokeTokens, type TokenOwner } from '../repo/tokens.ts';
import { displayPrefix } from '../tokens/format.ts';
import { slowHash, slowVerify } from '../tokens/weak-hash.ts';

/**
 * Stores `secret` (from the config file) as a config token of the owner unless it already is, and
 * returns its id. Weak secrets are possible here, so they get a slow salted hash.
 */
export async function ensureConfigToken(
  db: Kysely<Database>,
  owner: TokenOwner,
  secret: string,
  note: string,
): Promise<number> {
  const column = owner.kind === 'user' ? 'user_id' : 'service_id';
  const existing = await db
    .selectFrom('api_tokens')
    .selectAll()
    .where(column, '=', owner.id)
    .where('kind', '=', 'config')
    .where('revoked_at', 'is', null)
    .execute();
  for (const row of existing) {
    if (row.prefix === displayPrefix(secret) && (await slowVerify(secret, row.hashed))) return row.id;
  }
  const row = await insertToken(db, {
    hashed: await slowHash(secret),
    prefix: displayPrefix(secret),
    kind: 'config',
    user_id: owner.kind === 'user' ? owner.id : null,
    service_id: owner.kind === 'service' ? owner.id : null,
    client_id: 'jupyterhub',
    session_id: null,
    note,
    scopes: JSON.stringify(['inherit']),
    created: isoNow(),
    expires_at: null,
    last_activity: null,
    last_used_ip: null,
    revoked_at: null,
    rotated_from: null,
    replaced_by: null,
  });
  return row.id;
}

/** Revokes config tokens that are no longer in the config file. */
export async function revokeConfigTokensExcept(db: Kysely<Database>, keep: Set<number>): Promise<void> {
  const rows = await db
    .selectFrom('api_tokens')
    .select('id')
    .where('kind', '=', 'config')
    .where('revoked_at', 'is', null)
    .execute();
  await revokeTokens(
    db,
    rows.map((r) => r.id).filter((id) => !keep.has(id)),
    isoNow(),
  );
}
