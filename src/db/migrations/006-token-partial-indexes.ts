import type { Kysely } from 'kysely';

// Most tokens belong to users and to no login session, so their service_id and session_id are NULL; a full
// index holds an entry for each anyway, and creating a token wrote two more index pages for nothing
// (in SQLite's WAL, each changed page is a 4 KB frame written at commit). Partial indexes over the rows
// that have a value serve the same lookups, which are all by equality (a NULL never matches one).
export const tokenPartialIndexes = {
  async up(db: Kysely<any>): Promise<void> {
    for (const column of ['service_id', 'session_id']) {
      const name = `api_tokens_${column.replace('_id', '')}`;
      await db.schema.dropIndex(name).execute();
      await db.schema.createIndex(name).on('api_tokens').column(column).where(column, 'is not', null).execute();
    }
  },
  async down(db: Kysely<any>): Promise<void> {
    for (const column of ['service_id', 'session_id']) {
      const name = `api_tokens_${column.replace('_id', '')}`;
      await db.schema.dropIndex(name).execute();
      await db.schema.createIndex(name).on('api_tokens').column(column).execute();
    }
  },
};
