import type { Kysely } from 'kysely';
import type { Database, SpawnerRow, UserRow } from '../../db/index.ts';
import { isoNow } from '../../lib/time.ts';
import { findShare, scopesOn, type ShareView } from '../../shares/repo.ts';
import type { Caller, CommandDeps } from '../deps.ts';
import { checkGrantable, shareLabel, shareScopes, sharedServer } from './rules.ts';
import { grantTarget, type ResolvedTarget, type ShareTarget, targetKey } from './target.ts';

/**
 * Adds `scopes` to the share of `spawner` with `to`, making it if there is none (upstream's
 * Share.grant). Returns the share and what was added. Runs inside the caller's transaction; a share made
 * at the same moment by another request is widened, not duplicated (the unique index decides).
 */
export async function upsertShare(
  db: Kysely<Database>,
  owner: UserRow,
  spawner: SpawnerRow,
  to: ResolvedTarget,
  scopes: string[],
): Promise<{ share: ShareView; added: string[] }> {
  await db
    .insertInto('shares')
    .values({
      owner_id: owner.id,
      spawner_id: spawner.id,
      user_id: to.kind === 'user' ? to.id : null,
      group_id: to.kind === 'group' ? to.id : null,
      scopes: '[]',
      created_at: isoNow(),
    })
    .onConflict((oc) => oc.doNothing())
    .execute();
  const share = (await findShare(db, spawner.id, targetKey(to)))!;
  const held = scopesOn(share);
  const added = scopes.filter((s) => !held.includes(s));
  if (!added.length) return { share, added };
  const merged = JSON.stringify([...held, ...added].sort());
  await db.updateTable('shares').set({ scopes: merged }).where('id', '=', share.id).execute();
  return { share: { ...share, scopes: merged }, added };
}

/**
 * POST /shares/{owner}/{server}: shares the server with a user or group (or widens an existing share).
 * The caller must hold what it grants and see the target's name; scopes are access to that server only.
 */
export async function grantShare(
  deps: CommandDeps,
  caller: Caller,
  input: { owner: string; server: string; to: ShareTarget; scopes?: string[] | null },
): Promise<ShareView> {
  const scopes = shareScopes(input.scopes, input.owner, input.server);
  const { owner, spawner } = await sharedServer(deps.k, input.owner, input.server, { create: true });
  await checkGrantable(deps.k, caller, input.owner, input.server);
  const to = await grantTarget(deps.k, caller, input.to);
  const { share, added } = await deps.k.transaction().execute((trx) => upsertShare(trx, owner, spawner, to, scopes));
  if (!added.length) return share;
  deps.permissions.invalidate();
  const label = shareLabel(to.kind, to.name, owner.name, spawner.name);
  deps.log.info({ actor: caller.principal?.name ?? null, share: label, scopes: added }, 'shared a server');
  deps.audit.record({
    ...caller.origin,
    action: 'share.create',
    target: { kind: 'share', name: label, owner: owner.name },
    reason: added.join(' '),
  });
  return share;
}
