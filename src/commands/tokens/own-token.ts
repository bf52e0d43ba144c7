import type { Kysely } from 'kysely';
import { judge } from '../../tokens/judge.ts';
import type { Database, TokenRow } from '../../db/index.ts';
import { noSuchToken } from '../../errors/index.ts';
import { findTokenById } from '../../repo/tokens.ts';
import { parseTokenId } from '../../tokens/present.ts';

/** The user's token with this id, usable now unless `includeInactive`; 404 for any mismatch, as upstream. */
export async function findOwnToken(
  k: Kysely<Database>,
  user: { id: number; name: string },
  tokenId: string,
  includeInactive: boolean,
): Promise<TokenRow> {
  const id = parseTokenId(tokenId);
  const row = id === null ? undefined : await findTokenById(k, id);
  if (!row || row.user_id !== user.id || (!includeInactive && !judge(row).ok)) throw noSuchToken(tokenId, user.name);
  return row;
}
