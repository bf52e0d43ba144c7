import { tokenTarget } from '../../audit/index.ts';
import { judge } from '../../tokens/judge.ts';
import type { TokenRow } from '../../db/index.ts';
import { tokenAlreadyRotated, tokenNotRotatable, tokenNotUsable, tokenRotatedMeanwhile } from '../../errors/index.ts';
import { parseJson } from '../../lib/json.ts';
import { isoIn } from '../../lib/time.ts';
import { markRotated } from '../../repo/tokens.ts';
import { issueToken } from '../../tokens/issue.ts';
import type { Caller } from '../deps.ts';
import { loggedCaller, personalToken, type TokenCommandDeps } from './deps.ts';
import { successorLifetime } from './expiry.ts';
import { findOwnToken } from './own-token.ts';

export interface RotateTokenInput {
  user: { id: number; name: string };
  /** `a<id>`, as the API names tokens. */
  tokenId: string;
  /** How long the old token keeps working beside its successor (the API bounds it by rotation_max_grace_seconds). */
  graceSeconds: number;
}

/**
 * Only a usable personal token that was not rotated already is rotated: the hub replaces server tokens
 * itself, OAuth clients get new ones by logging in, config tokens change in the config.
 */
function assertRotatable(old: TokenRow, tokenId: string): void {
  const state = judge(old);
  if (!state.ok) throw tokenNotUsable(tokenId, state.reason);
  if (old.replaced_by !== null) throw tokenAlreadyRotated(tokenId, old.replaced_by);
  if (old.kind !== 'api') throw tokenNotRotatable(tokenId, old.kind);
}

/**
 * Replaces a personal token by a new one with the same note, scopes and lifetime; the old one works on
 * for the grace period (never beyond its own expiry). Returns the successor's secret and row.
 */
export async function rotateToken(
  deps: TokenCommandDeps,
  caller: Caller,
  input: RotateTokenInput,
): Promise<{ token: string; row: TokenRow }> {
  const { user, tokenId, graceSeconds } = input;
  const old = await findOwnToken(deps.k, user, tokenId, true);
  assertRotatable(old, tokenId);
  const graceEnd = isoIn(graceSeconds);
  const oldEnd = old.expires_at && old.expires_at < graceEnd ? old.expires_at : graceEnd;
  const request = personalToken(user.id, {
    note: old.note,
    scopes: parseJson<string[]>(old.scopes, []),
    expiresIn: successorLifetime(deps.config.tokens, old),
    rotatedFrom: old.id,
  });
  const issued = await issueToken(deps.k, deps.dbKind, request, {
    inTransaction: async (trx, created) => {
      // In the same transaction as the new token: of two concurrent rotations only one succeeds.
      if (!(await markRotated(trx, old.id, created.id, oldEnd))) throw tokenRotatedMeanwhile(tokenId);
    },
  });
  const { row } = issued;
  deps.permissions.invalidate();
  // The old token ends now (no grace) or at oldEnd, which the pusher's next-expiry timer then finds.
  deps.refusals?.tokensChanged();
  deps.log.info(
    { ...loggedCaller(caller), user: user.name, old: `a${old.id}`, new: `a${row.id}`, grace: graceSeconds },
    'token rotated',
  );
  deps.audit.record({
    ...caller.origin,
    action: 'token.rotate',
    target: tokenTarget(old.id, user.name),
    reason: `replaced by a${row.id}; old token works until ${oldEnd}`,
  });
  return issued;
}
