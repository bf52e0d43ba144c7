import type { UserRow } from '../../db/index.ts';
import { invalidRequest } from '../../errors/index.ts';
import { isoNow } from '../../lib/time.ts';
import { findSpawner } from '../../repo/spawners.ts';
import { findUserById } from '../../repo/users.ts';
import { type ShareCodeView, type ShareView, scopesOn } from '../../shares/repo.ts';
import type { Caller, CommandDeps } from '../deps.ts';
import { codeId, liveShareCode } from './codes.ts';
import { upsertShare } from './create.ts';
import { shareLabel } from './rules.ts';

/** Upstream's refusal of one's own code (403 on the confirm page, 400 on accepting). */
export const OWN_CODE_MESSAGE = "You can't share with yourself!";

/**
 * POST /hub/accept-share: `user` exchanges a live code for a share of its server (or widens theirs);
 * the code counts the exchange and stays usable until it expires or is revoked, as upstream.
 */
export async function acceptShareCode(
  deps: CommandDeps,
  caller: Caller,
  input: { code: string; user: UserRow },
): Promise<{ share: ShareView; code: ShareCodeView }> {
  const code = await liveShareCode(deps, input.code);
  if (code.owner_id === input.user.id) throw invalidRequest(OWN_CODE_MESSAGE);
  const share = await deps.k.transaction().execute(async (trx) => {
    const owner = (await findUserById(trx, code.owner_id))!;
    const spawner = (await findSpawner(trx, owner.id, code.server_name))!;
    const to = { kind: 'user' as const, id: input.user.id, name: input.user.name };
    const { share } = await upsertShare(trx, owner, spawner, to, scopesOn(code));
    await trx
      .updateTable('share_codes')
      .set((eb) => ({ exchange_count: eb('exchange_count', '+', 1), last_exchanged_at: isoNow() }))
      .where('id', '=', code.id)
      .execute();
    return share;
  });
  deps.permissions.invalidate();
  const label = shareLabel('user', input.user.name, code.owner_name, code.server_name);
  deps.log.info({ actor: input.user.name, share: label, code: codeId(code.id) }, 'accepted a share code');
  deps.audit.record({
    ...caller.origin,
    action: 'share_code.accept',
    target: { kind: 'share', name: label, owner: code.owner_name },
    reason: codeId(code.id),
  });
  return { share, code };
}
