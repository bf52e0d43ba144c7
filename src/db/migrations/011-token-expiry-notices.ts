import type { Kysely } from 'kysely';

// Token governance (issue 20), in tables of their own so the hot token insert keeps its one fixed shape:
// - token_retire_on_use: a rotation with retire_on_use names the successor here; the old token works
//   until the successor's first use retires it (the row goes with it).
// - token_expiry_notices: which expiry notice (seconds before the expiry) was sent for which token, so a
//   restarted hub does not send it again.
export const tokenExpiryNotices = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema
      .createTable('token_retire_on_use')
      .addColumn('new_id', 'integer', (c) => c.primaryKey().references('api_tokens.id').onDelete('cascade'))
      .addColumn('old_id', 'integer', (c) => c.notNull().references('api_tokens.id').onDelete('cascade'))
      .execute();
    await db.schema
      .createTable('token_expiry_notices')
      .addColumn('token_id', 'integer', (c) => c.notNull().references('api_tokens.id').onDelete('cascade'))
      .addColumn('before_seconds', 'integer', (c) => c.notNull())
      .addColumn('sent_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('token_expiry_notices_pk', ['token_id', 'before_seconds'])
      .execute();
  },
  async down(db: Kysely<any>): Promise<void> {
    await db.schema.dropTable('token_expiry_notices').execute();
    await db.schema.dropTable('token_retire_on_use').execute();
  },
};
