import type { Kysely } from 'kysely';
import type { DbKind } from '../kind.ts';

// JupyterHub 5's sharing. A share grants one user or one group scopes on one server; a share code is a
// bearer secret that turns into such a share for whoever accepts it, so only its SHA-256 digest is kept.
// Both hang off the server (spawner) and its owner: deleting the server, the owner, the user or the group
// the share is with deletes the share by cascade, as upstream's foreign keys do.
export function shares(kind: DbKind) {
  const withId = (name: string) => (db: Kysely<any>) =>
    db.schema
      .createTable(name)
      .addColumn('id', 'integer', (col) =>
        kind === 'sqlite' ? col.primaryKey().autoIncrement() : col.primaryKey().generatedByDefaultAsIdentity(),
      );
  return {
    async up(db: Kysely<any>): Promise<void> {
      await withId('shares')(db)
        .addColumn('owner_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('spawner_id', 'integer', (c) => c.notNull().references('spawners.id').onDelete('cascade'))
        .addColumn('user_id', 'integer', (c) => c.references('users.id').onDelete('cascade'))
        .addColumn('group_id', 'integer', (c) => c.references('groups.id').onDelete('cascade'))
        .addColumn('scopes', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('shares_spawner_user')
        .on('shares')
        .columns(['spawner_id', 'user_id'])
        .unique()
        .execute();
      await db.schema
        .createIndex('shares_spawner_group')
        .on('shares')
        .columns(['spawner_id', 'group_id'])
        .unique()
        .execute();
      await db.schema.createIndex('shares_user').on('shares').column('user_id').execute();
      await db.schema.createIndex('shares_group').on('shares').column('group_id').execute();
      await db.schema.createIndex('shares_owner').on('shares').column('owner_id').execute();

      await withId('share_codes')(db)
        .addColumn('owner_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('spawner_id', 'integer', (c) => c.notNull().references('spawners.id').onDelete('cascade'))
        .addColumn('hashed', 'text', (c) => c.notNull().unique())
        .addColumn('scopes', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('last_exchanged_at', 'text')
        .addColumn('exchange_count', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.createIndex('share_codes_spawner').on('share_codes').column('spawner_id').execute();
      await db.schema.createIndex('share_codes_owner').on('share_codes').column('owner_id').execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('share_codes').execute();
      await db.schema.dropTable('shares').execute();
    },
  };
}
