import type { Kysely } from 'kysely';

// A spawn or stop in flight is recorded so that a hub restarted mid-transition can finish or undo it.
export const spawnerPending = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('spawners').addColumn('pending', 'text').execute();
    await db.schema.createIndex('spawners_active').on('spawners').columns(['server_url', 'pending']).execute();
  },
  async down(db: Kysely<any>): Promise<void> {
    await db.schema.dropIndex('spawners_active').execute();
    await db.schema.alterTable('spawners').dropColumn('pending').execute();
  },
};
