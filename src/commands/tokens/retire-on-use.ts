import type { Transaction } from 'kysely';
import { tokenTarget } from '../../audit/index.ts';
import type { Database, TokenRow } from '../../db/index.ts';
import { isoNow } from '../../lib/time.ts';
import type { Caller } from '../deps.ts';
import { loggedCaller, type TokenCommandDeps } from './deps.ts';

/** Rotation with retire_on_use: the old token `oldId` ends when its successor `newId` is first used. */
export async function awaitFirstUse(trx: Transaction<Database>, oldId: number, newId: number): Promise<void> {
  await trx.insertInto('token_retire_on_use').values({ new_id: newId, old_id: oldId }).execute();
}

/**
 * The successor `used` was presented: if its predecessor waits for that, the predecessor ends now (its
 * expiry set to now, so it is refused as rotated). Of concurrent first uses, only the one that deletes
 * the link retires it. Returns the retired token's id, or null.
 */
export async function retireOnFirstUse(deps: TokenCommandDeps, caller: Caller, used: TokenRow): Promise<number | null> {
  const now = isoNow();
  const oldId = await deps.k.transaction().execute(async (trx) => {
    const link = await trx
      .deleteFrom('token_retire_on_use')
      .where('new_id', '=', used.id)
      .returning('old_id')
      .executeTakeFirst();
    if (!link) return null;
    await trx
      .updateTable('api_tokens')
      .set({ expires_at: now })
      .where('id', '=', link.old_id)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .execute();
    return link.old_id;
  });
  if (oldId === null) return null;
  deps.permissions.invalidate();
  deps.refusals?.tokensChanged();
  deps.log.info(
    { ...loggedCaller(caller), old: `a${oldId}`, new: `a${used.id}` },
    'rotated token retired on first use',
  );
  deps.audit.record({
    ...caller.origin,
    action: 'token.retire',
    target: tokenTarget(oldId, caller.principal?.kind === 'user' ? caller.principal.name : null),
    reason: `first use of its replacement a${used.id}`,
  });
  return oldId;
}
