import type { Kysely } from 'kysely';
import type { Database } from '../db/index.ts';
import { isoNow } from '../lib/time.ts';

type K = Kysely<Database>;

export interface OAuthClientFields {
  identifier: string;
  description: string;
  /** Digest of the client secret (for servers: their API token), or null for public clients. */
  secretHash: string | null;
  redirectUri: string;
  allowedScopes: string[];
}

export async function upsertOAuthClient(db: K, f: OAuthClientFields): Promise<void> {
  const values = {
    description: f.description,
    secret_hash: f.secretHash,
    redirect_uri: f.redirectUri,
    allowed_scopes: JSON.stringify(f.allowedScopes),
  };
  const existing = await db
    .selectFrom('oauth_clients')
    .select('id')
    .where('identifier', '=', f.identifier)
    .executeTakeFirst();
  if (existing) await db.updateTable('oauth_clients').set(values).where('id', '=', existing.id).execute();
  else
    await db
      .insertInto('oauth_clients')
      .values({ identifier: f.identifier, created: isoNow(), ...values })
      .execute();
}

export async function deleteOAuthClient(db: K, identifier: string): Promise<void> {
  await db.deleteFrom('oauth_clients').where('identifier', '=', identifier).execute();
}
