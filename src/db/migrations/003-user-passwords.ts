import type { Kysely } from 'kysely';

// Per-user password hashes for the password authenticator: a table of its own rather than a column on
// users, so that user rows (read everywhere) never carry a hash, and deleting a user deletes it.
export const userPasswords = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema
      .createTable('user_passwords')
      .addColumn('user_id', 'integer', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
      .addColumn('hash', 'text', (c) => c.notNull())
      .addColumn('updated', 'text', (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<any>): Promise<void> {
    await db.schema.dropTable('user_passwords').execute();
  },
};
