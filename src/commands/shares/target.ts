import type { Kysely } from 'kysely';
import type { Database } from '../../db/index.ts';
import {
  cannotNameShareTarget,
  shareTargetAbsent,
  shareTargetAmbiguous,
  shareTargetMissing,
} from '../../errors/index.ts';
import { checkAccess } from '../../rbac/index.ts';
import { allGroupNamesByUser, findGroup } from '../../repo/groups.ts';
import { findUser } from '../../repo/users.ts';
import type { Caller } from '../deps.ts';

/** Who a share is with, as a request names it: exactly one of the two. */
export interface ShareTarget {
  user?: string | null;
  group?: string | null;
}

export type ResolvedTarget = { kind: 'user'; id: number; name: string } | { kind: 'group'; id: number; name: string };

export function targetName(to: ShareTarget): { kind: 'user' | 'group'; name: string } {
  if (to.user && to.group) throw shareTargetAmbiguous();
  if (to.user) return { kind: 'user', name: to.user };
  if (to.group) return { kind: 'group', name: to.group };
  throw shareTargetAbsent();
}

/** The share's user or group, or null when it does not exist. */
export async function findTarget(db: Kysely<Database>, to: ShareTarget): Promise<ResolvedTarget | null> {
  const { kind, name } = targetName(to);
  const row = kind === 'user' ? await findUser(db, name) : await findGroup(db, name);
  return row ? { kind, id: row.id, name } : null;
}

/**
 * For granting: the caller must be allowed to see the user's or group's name (upstream's 403), and it
 * must exist (upstream's 400).
 */
export async function grantTarget(db: Kysely<Database>, caller: Caller, to: ShareTarget): Promise<ResolvedTarget> {
  const { kind, name } = targetName(to);
  const p = caller.principal;
  if (p) {
    const allowed =
      kind === 'user'
        ? checkAccess(p.scopes, ['read:users:name'], { kind, name, groups: await allGroupNamesByUser(db, name) })
        : checkAccess(p.scopes, ['read:groups:name'], { kind, name });
    if (allowed !== 'ok') throw cannotNameShareTarget(kind);
  }
  const found = await findTarget(db, to);
  if (!found) throw shareTargetMissing(kind, name);
  return found;
}

export const targetKey = (t: ResolvedTarget) => (t.kind === 'user' ? { userId: t.id } : { groupId: t.id });
