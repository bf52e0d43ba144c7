import type { Kysely } from 'kysely';

// Device login (RFC 8628, issue 21). Both codes are kept only as digests: the device code is the poller's
// secret, and the user code, short as it is, would let anyone who reads the table approve a stranger's
// device. A row lives from the device's request until its token is handed out, it is denied and polled,
// or it expires (swept when a new one is made).
export const deviceCodes = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema
      .createTable('oauth_device_codes')
      .addColumn('device_hash', 'text', (c) => c.primaryKey())
      .addColumn('user_code_hash', 'text', (c) => c.notNull().unique())
      .addColumn('client_id', 'text', (c) => c.notNull())
      .addColumn('scopes', 'text')
      .addColumn('requester_ip', 'text')
      .addColumn('user_agent', 'text')
      .addColumn('interval', 'integer', (c) => c.notNull())
      .addColumn('last_poll', 'text')
      .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending'))
      .addColumn('user_id', 'integer', (c) => c.references('users.id').onDelete('cascade'))
      .addColumn('approved_scopes', 'text')
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addColumn('created', 'text', (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<any>): Promise<void> {
    await db.schema.dropTable('oauth_device_codes').execute();
  },
};
