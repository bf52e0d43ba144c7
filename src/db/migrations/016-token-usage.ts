import type { Kysely } from 'kysely';

// Per-token usage (issue 21), written in batches off the request path (src/tokens/usage-collector.ts):
// - token_usage_days: requests and errors (status >= 400) per UTC day, kept 90 days.
// - token_usage_routes: requests per route pattern per day (patterns, not URLs: a bounded set).
// - token_usage_clients: the last distinct client IPs and user agents (kind 'ip' or 'agent').
// Rows go with their token. The audit log gets an index on the presented token's id, for ?token_id=.
export const tokenUsage = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema
      .createTable('token_usage_days')
      .addColumn('token_id', 'integer', (c) => c.notNull().references('api_tokens.id').onDelete('cascade'))
      .addColumn('day', 'text', (c) => c.notNull())
      .addColumn('requests', 'integer', (c) => c.notNull())
      .addColumn('errors', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('token_usage_days_pk', ['token_id', 'day'])
      .execute();
    await db.schema.createIndex('token_usage_days_day').on('token_usage_days').column('day').execute();
    await db.schema
      .createTable('token_usage_routes')
      .addColumn('token_id', 'integer', (c) => c.notNull().references('api_tokens.id').onDelete('cascade'))
      .addColumn('day', 'text', (c) => c.notNull())
      .addColumn('route', 'text', (c) => c.notNull())
      .addColumn('requests', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('token_usage_routes_pk', ['token_id', 'day', 'route'])
      .execute();
    await db.schema.createIndex('token_usage_routes_day').on('token_usage_routes').column('day').execute();
    await db.schema
      .createTable('token_usage_clients')
      .addColumn('token_id', 'integer', (c) => c.notNull().references('api_tokens.id').onDelete('cascade'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addColumn('first_seen', 'text', (c) => c.notNull())
      .addColumn('last_seen', 'text', (c) => c.notNull())
      .addColumn('requests', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('token_usage_clients_pk', ['token_id', 'kind', 'value'])
      .execute();
    await db.schema
      .createIndex('audit_log_actor_token')
      .on('audit_log')
      .columns(['actor_token_id', 'id'])
      .where('actor_token_id', 'is not', null)
      .execute();
  },
  async down(db: Kysely<any>): Promise<void> {
    await db.schema.dropIndex('audit_log_actor_token').execute();
    await db.schema.dropTable('token_usage_clients').execute();
    await db.schema.dropTable('token_usage_routes').execute();
    await db.schema.dropTable('token_usage_days').execute();
  },
};
