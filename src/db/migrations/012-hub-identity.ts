import type { Kysely } from 'kysely';
import { HUB_ID_LENGTH, randomBase62 } from '../../tokens/format.ts';

// The hub's own short id, put in every typed token (tshub_<k>_<hub id>...) so a scanner that finds a leaked
// token can tell which hub issued it. Drawn once, here, and stored: it must outlive a rotated cookie secret
// and be the same for every process on the database (the hub, `tshub token`).
export const hubIdentity = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema
      .createTable('hub_identity')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('hub_id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db
      .insertInto('hub_identity')
      .values({ id: 1, hub_id: randomBase62(HUB_ID_LENGTH), created_at: new Date().toISOString() })
      .execute();
  },
  async down(db: Kysely<any>): Promise<void> {
    await db.schema.dropTable('hub_identity').execute();
  },
};
