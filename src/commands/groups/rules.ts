import type { Kysely } from 'kysely';
import { normalizeUsername, validateUsername } from '../../auth/usernames.ts';
import type { Database } from '../../db/index.ts';
import { invalidGroupName, noSuchMember } from '../../errors/index.ts';

/** Group names follow the username rules without `username_pattern` (no control characters, no '/'). */
export function checkGroupName(name: string): void {
  if (!validateUsername(name, null)) throw invalidGroupName(name);
}

/** Resolves member names (normalized as usernames, as upstream) to ids; 400 naming the first unknown one. */
export async function memberIds(db: Kysely<Database>, names: string[]): Promise<number[]> {
  const ids: number[] = [];
  for (const name of new Set(names.map(normalizeUsername))) {
    // A name no user can have (e.g. with a NUL, which PostgreSQL refuses as a parameter) is not looked up.
    if (!validateUsername(name, null)) throw noSuchMember(name);
    const row = await db.selectFrom('users').select('id').where('name', '=', name).executeTakeFirst();
    if (!row) throw noSuchMember(name);
    ids.push(row.id);
  }
  return ids;
}

/** The audit reason for a change naming users. */
export function membersReason(users: string[] | undefined): string | null {
  return users?.length ? `users: ${users.join(', ')}` : null;
}
