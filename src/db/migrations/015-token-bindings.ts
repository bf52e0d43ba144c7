import type { Kysely } from 'kysely';

// Token binding (issue 21): where a token may be used from and from when. A table of its own so the hot
// token insert keeps its one fixed shape, and a token without a binding (nearly all) has no row here.
export const tokenBindings = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema
      .createTable('token_bindings')
      .addColumn('token_id', 'integer', (c) => c.primaryKey().references('api_tokens.id').onDelete('cascade'))
      // JSON list of CIDRs in canonical form; '[]' when only not_before binds the token.
      .addColumn('allowed_cidrs', 'text', (c) => c.notNull())
      .addColumn('not_before', 'text')
      .execute();
  },
  async down(db: Kysely<any>): Promise<void> {
    await db.schema.dropTable('token_bindings').execute();
  },
};
