import type { Kysely } from 'kysely';
import type { Database } from '../db/index.ts';

// Scope intersection must know which groups a user named in a filter belongs to; fetch those few up front.
function namedUsers(sets: Iterable<Set<string>>): Set<string> {
  const names = new Set<string>();
  for (const set of sets) {
    for (const s of set) {
      const m = /!(user|server)=([^/]+)/.exec(s);
      if (m?.[2]) names.add(m[2]);
    }
  }
  return names;
}

export async function groupMembership(
  db: Kysely<Database>,
  sets: Iterable<Set<string>>,
): Promise<(user: string) => string[]> {
  const names = [...namedUsers(sets)];
  const byUser = new Map<string, string[]>();
  if (names.length > 0) {
    const rows = await db
      .selectFrom('user_group_map')
      .innerJoin('users', 'users.id', 'user_group_map.user_id')
      .innerJoin('groups', 'groups.id', 'user_group_map.group_id')
      .select(['users.name as user', 'groups.name as group'])
      .where('users.name', 'in', names)
      .execute();
    for (const r of rows) byUser.set(r.user, [...(byUser.get(r.user) ?? []), r.group]);
  }
  return (user) => byUser.get(user) ?? [];
}
