import { listShares, scopesOn } from '../../shares/repo.ts';
import type { Caller, CommandDeps } from '../deps.ts';
import { recordRevoke } from './revoke.ts';
import { sharedServer } from './rules.ts';

/** DELETE /shares/{owner}/{server}: every share of the server goes (share codes stay, as upstream). */
export async function revokeAllShares(
  deps: CommandDeps,
  caller: Caller,
  input: { owner: string; server: string },
): Promise<number> {
  const { spawner } = await sharedServer(deps.k, input.owner, input.server, { create: false });
  const gone = await deps.k.transaction().execute(async (trx) => {
    const { rows } = await listShares(trx, { spawnerId: spawner.id }, { offset: 0, limit: Number.MAX_SAFE_INTEGER });
    await trx.deleteFrom('shares').where('spawner_id', '=', spawner.id).execute();
    return rows;
  });
  for (const s of gone) {
    const to =
      s.user_name !== null
        ? { kind: 'user' as const, name: s.user_name }
        : { kind: 'group' as const, name: s.group_name! };
    recordRevoke(deps, caller, to, input.owner, input.server, scopesOn(s));
  }
  return gone.length;
}
