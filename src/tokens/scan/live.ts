import type { Kysely } from 'kysely';
import type { Database } from '../../db/index.ts';
import { findLiveTokens, type LiveTokenRow } from '../../repo/live-tokens.ts';
import { digestToken } from '../format.ts';

/** A live token found in a report or a file: enough to revoke it and tell its owner, never the secret. */
export interface LiveToken extends Pick<LiveTokenRow, 'id' | 'prefix' | 'note' | 'kind' | 'owner'> {
  /** The token as found: only so the caller can say where each was found; never logged or stored. */
  token: string;
}

/**
 * The tokens among `tokens` (well-formed ones: isWellFormedToken in src/tokens/format.ts) that still work: not
 * revoked, not expired (a rotated token in its grace period still works, so it counts). Looked up by digest.
 */
export async function liveTokens(k: Kysely<Database>, tokens: readonly string[]): Promise<LiveToken[]> {
  const byDigest = new Map(tokens.map((t) => [digestToken(t), t]));
  const rows = await findLiveTokens(k, { hashed: [...byDigest.keys()] }, new Date().toISOString());
  return rows.map(({ id, hashed, prefix, note, kind, owner }) => ({
    id,
    prefix,
    note,
    kind,
    owner,
    token: byDigest.get(hashed)!,
  }));
}
