import type { Kysely } from 'kysely';

// The password authenticator's account rules. Sign-ups waiting for an admin's approval get a table of their
// own, not a flag on users: until approved they are nobody to the rest of the hub (no user row, so no
// token, server, role or API listing can exist for them), and discarding one leaves no trace.
// user_passwords gains the second factor: the TOTP secret (Fernet ciphertext under JUPYTERHUB_CRYPT_KEY)
// and the last time step accepted, so that a code is never accepted twice.
export const passwordSignups = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema
      .createTable('signup_requests')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('hash', 'text', (c) => c.notNull())
      .addColumn('otp_secret', 'text')
      .addColumn('created', 'text', (c) => c.notNull())
      .execute();
    await db.schema.alterTable('user_passwords').addColumn('otp_secret', 'text').execute();
    await db.schema.alterTable('user_passwords').addColumn('otp_last_step', 'integer').execute();
  },
  async down(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('user_passwords').dropColumn('otp_last_step').execute();
    await db.schema.alterTable('user_passwords').dropColumn('otp_secret').execute();
    await db.schema.dropTable('signup_requests').execute();
  },
};
