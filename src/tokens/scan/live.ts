import type { Kysely } from 'kysely';
import type { Database } from '../../db/index.ts';
import { isPast } from '../../lib/time.ts';
import { digestToken } from '../format.ts';

/** A live token found in a report or a file: enough to revoke it and tell its owner, never the secret. */
export interface LiveToken {
  id: number;
  prefix: string;
  note: string | null;
  kind: string;
  owner: { kind: 'user' | 'service'; name: string };
  /** The token as found: only so the caller can say where each was found; never logged or stored. */
  token: string;
}

// A parameter list has a limit (SQLite 32,766; PostgreSQL 65,535): lookups go in slices.
const SLICE = 500;

/**
 * The tokens among `tokens` (well-formed ones: isWellFormedToken in src/tokens/format.ts) that still work: not revoked, not expired (a
 * rotated token in its grace period still works, so it counts). One query per slice of 500, by digest.
 */
export async function liveTokens(
  k: Kysely<Database>,
  tokens: readonly string[],
  now = Date.now(),
): Promise<LiveToken[]> {
  const byDigest = new Map(tokens.map((t) => [digestToken(t), t]));
  const digests = [...byDigest.keys()];
  const live: LiveToken[] = [];
  for (let at = 0; at < digests.length; at += SLICE) {
    const rows = await k
      .selectFrom('api_tokens as t')
      .leftJoin('users as u', 'u.id', 't.user_id')
      .leftJoin('services as s', 's.id', 't.service_id')
      .select([
        't.id',
        't.hashed',
        't.prefix',
        't.note',
        't.kind',
        't.expires_at',
        'u.name as user',
        's.name as service',
      ])
      .where('t.hashed', 'in', digests.slice(at, at + SLICE))
      .where('t.revoked_at', 'is', null)
      .execute();
    for (const r of rows) {
      if (isPast(r.expires_at, now)) continue;
      const owner =
        r.user !== null ? { kind: 'user' as const, name: r.user } : { kind: 'service' as const, name: r.service ?? '' };
      live.push({ id: r.id, prefix: r.prefix, note: r.note, kind: r.kind, owner, token: byDigest.get(r.hashed)! });
    }
  }
  return live;
}
