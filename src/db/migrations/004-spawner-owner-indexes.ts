import type { Kysely } from 'kysely';

// A partial index over the spawners with a server running, starting or stopping, ordered by owner and
// covering the state columns: listing users by server state (what the idle culler pages through)
// reads only these entries, in user id order, instead of scanning every spawner row once per page.
// Its condition must stay the one in src/repo/user-list.ts, or the planner will not use it.
export const spawnerOwnerIndexes = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema
      .createIndex('spawners_active_owner')
      .on('spawners')
      .columns(['user_id', 'server_url', 'pending'])
      .where((eb) => eb.or([eb('server_url', 'is not', null), eb('pending', 'is not', null)]))
      .execute();
  },
  async down(db: Kysely<any>): Promise<void> {
    await db.schema.dropIndex('spawners_active_owner').execute();
  },
};
