import type { Kysely } from 'kysely';

// The audit log. Ids are assigned by the hub, not the database: each record's hash covers its id, so the
// id must be known before the insert (one hub process writes, in order). Every column is text or integer
// so both dialects hash the same values back in `tshub audit verify`.
export const auditLog = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema
      .createTable('audit_log')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('time', 'text', (c) => c.notNull())
      .addColumn('actor_kind', 'text', (c) => c.notNull())
      .addColumn('actor_name', 'text')
      .addColumn('actor_token_id', 'text')
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('target_kind', 'text')
      .addColumn('target_name', 'text')
      .addColumn('target_owner', 'text')
      .addColumn('outcome', 'text', (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('ip', 'text')
      .addColumn('user_agent', 'text')
      .addColumn('request_id', 'text')
      .addColumn('prev_hash', 'text', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull())
      .execute();
    // The API's filters: by time (also retention), by actor, by action (exact or prefix), by target or its owner.
    await db.schema.createIndex('audit_log_time').on('audit_log').column('time').execute();
    await db.schema.createIndex('audit_log_actor').on('audit_log').columns(['actor_name', 'id']).execute();
    await db.schema.createIndex('audit_log_action').on('audit_log').columns(['action', 'id']).execute();
    await db.schema.createIndex('audit_log_target').on('audit_log').columns(['target_name', 'id']).execute();
    await db.schema.createIndex('audit_log_target_owner').on('audit_log').columns(['target_owner', 'id']).execute();
    // Where the chain starts after pruning: the id and hash of the last record removed (one row, id 1).
    await db.schema
      .createTable('audit_anchor')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('last_id', 'integer', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull())
      .addColumn('pruned_at', 'text', (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<any>): Promise<void> {
    await db.schema.dropTable('audit_anchor').execute();
    await db.schema.dropTable('audit_log').execute();
  },
};
