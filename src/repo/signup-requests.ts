import type { Kysely, Selectable } from 'kysely';
import type { Database, SignupRequestsTable } from '../db/index.ts';

// Sign-ups waiting for an admin's approval (authenticator.open_signup off).

export async function findSignupRequest(
  k: Kysely<Database>,
  name: string,
): Promise<Selectable<SignupRequestsTable> | undefined> {
  return k.selectFrom('signup_requests').selectAll().where('name', '=', name).executeTakeFirst();
}

/** Oldest first: the order an admin works through them. */
export async function pendingSignups(k: Kysely<Database>): Promise<{ name: string; created: string }[]> {
  return k.selectFrom('signup_requests').select(['name', 'created']).orderBy('created').orderBy('name').execute();
}
