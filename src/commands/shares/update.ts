import { findShare, scopesOn, type ShareView } from '../../shares/repo.ts';
import type { Caller, CommandDeps } from '../deps.ts';
import { recordRevoke } from './revoke.ts';
import { shareScopes, sharedServer } from './rules.ts';
import { findTarget, type ShareTarget, targetKey, targetName } from './target.ts';

/**
 * PATCH /shares/{owner}/{server}: takes `scopes` (all of them when none are named) away from the share
 * with a user or group; the share goes when nothing is left. Returns what remains, or null (upstream's
 * `{}`) when the share is gone or never was: revoking from nobody is not an error.
 */
export async function revokeShareScopes(
  deps: CommandDeps,
  caller: Caller,
  input: { owner: string; server: string; to: ShareTarget; scopes?: string[] | null },
): Promise<ShareView | null> {
  targetName(input.to);
  const revoking = input.scopes?.length ? shareScopes(input.scopes, input.owner, input.server) : null;
  const { spawner } = await sharedServer(deps.k, input.owner, input.server, { create: false });
  const to = await findTarget(deps.k, input.to);
  if (!to) return null;
  const result = await deps.k.transaction().execute(async (trx) => {
    const share = await findShare(trx, spawner.id, targetKey(to));
    if (!share) return { share: null, removed: [] as string[] };
    const held = scopesOn(share);
    const kept = revoking ? held.filter((s) => !revoking.includes(s)) : [];
    const removed = held.filter((s) => !kept.includes(s));
    if (!removed.length) return { share, removed };
    if (kept.length)
      await trx
        .updateTable('shares')
        .set({ scopes: JSON.stringify(kept) })
        .where('id', '=', share.id)
        .execute();
    else await trx.deleteFrom('shares').where('id', '=', share.id).execute();
    return { share: kept.length ? { ...share, scopes: JSON.stringify(kept) } : null, removed };
  });
  if (result.removed.length) recordRevoke(deps, caller, to, input.owner, input.server, result.removed);
  return result.share;
}
