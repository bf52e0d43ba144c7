import type { Kysely } from 'kysely';

// The token inventory's "expires before/after" and "expiring this week" are ranges over expires_at; most
// personal tokens have one, server and config tokens do not (partial: those rows cost no index entry).
export const tokenExpiryIndex = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema
      .createIndex('api_tokens_expires')
      .on('api_tokens')
      .column('expires_at')
      .where('expires_at', 'is not', null)
      .execute();
  },
  async down(db: Kysely<any>): Promise<void> {
    await db.schema.dropIndex('api_tokens_expires').execute();
  },
};
