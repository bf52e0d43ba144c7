import type { Kysely } from 'kysely';
import type { Database, SpawnerRow, UserRow } from '../../db/index.ts';
import { cannotGrantShare, noSuchServer, notFound, shareFilterRefused, shareScopeRefused } from '../../errors/index.ts';
import { checkAccess } from '../../rbac/index.ts';
import { allGroupNamesByUser } from '../../repo/groups.ts';
import { findSpawner, getOrCreateSpawner } from '../../repo/spawners.ts';
import { findUser } from '../../repo/users.ts';
import type { Caller } from '../deps.ts';

// The one scope a share may grant: using the server. Upstream lets any scope through with the server's
// filter; nothing but access means anything on one server, so tshub refuses the rest.
const SHAREABLE = 'access:servers';

/**
 * The scopes a share or code grants, each filtered to the server: the default is access to it; a scope
 * with another filter (upstream's 400) or other than access (tshub's 400) is refused.
 */
export function shareScopes(requested: string[] | null | undefined, owner: string, server: string): string[] {
  const filter = `server=${owner}/${server}`;
  if (!requested || requested.length === 0) return [`${SHAREABLE}!${filter}`];
  const out = new Set<string>();
  for (const scope of requested) {
    const i = scope.indexOf('!');
    const base = i === -1 ? scope : scope.slice(0, i);
    const given = i === -1 ? '' : scope.slice(i + 1);
    if (given && given !== filter) throw shareFilterRefused(scope, given, filter);
    if (base !== SHAREABLE) throw shareScopeRefused(scope);
    out.add(`${base}!${filter}`);
  }
  return [...out].sort();
}

/** A caller may share only what it holds itself (the hub acting on its own may share anything). */
export async function checkGrantable(db: Kysely<Database>, caller: Caller, owner: string, server: string) {
  const p = caller.principal;
  if (!p) return;
  const groups = await allGroupNamesByUser(db, owner);
  if (checkAccess(p.scopes, [SHAREABLE], { kind: 'server', user: owner, server, groups }) !== 'ok')
    throw cannotGrantShare(`${SHAREABLE}!server=${owner}/${server}`);
}

/**
 * The shared server. The default server's record is made on first use (upstream's user always has one);
 * a named server must exist. 404 with upstream's message otherwise.
 */
export async function sharedServer(
  db: Kysely<Database>,
  ownerName: string,
  server: string,
  opts: { create: boolean },
): Promise<{ owner: UserRow; spawner: SpawnerRow }> {
  const owner = await findUser(db, ownerName);
  if (!owner) throw noSuchServer(ownerName, server);
  const spawner =
    server === '' && opts.create ? await getOrCreateSpawner(db, owner.id, '') : await findSpawner(db, owner.id, server);
  if (!spawner) throw noSuchServer(ownerName, server);
  return { owner, spawner };
}

/** The shared server if it exists (listings of a default server never started are empty, not 404). */
export async function existingServer(db: Kysely<Database>, ownerName: string, server: string) {
  const owner = await findUser(db, ownerName);
  if (!owner) throw notFound();
  const spawner = await findSpawner(db, owner.id, server);
  if (!spawner && server !== '') throw noSuchServer(ownerName, server);
  return { owner, spawner: spawner ?? null };
}

/** Who a share names in logs and the audit trail, as upstream's log lines: `user:bob on alice/`. */
export const shareLabel = (kind: 'user' | 'group', name: string, owner: string, server: string) =>
  `${kind}:${name} on ${owner}/${server}`;
