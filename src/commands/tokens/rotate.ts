import { tokenTarget } from '../../audit/index.ts';
import { judge } from '../../tokens/judge.ts';
import type { TokenRow } from '../../db/index.ts';
import { tokenAlreadyRotated, tokenNotRotatable, tokenNotUsable, tokenRotatedMeanwhile } from '../../errors/index.ts';
import { parseJson } from '../../lib/json.ts';
import { isoIn } from '../../lib/time.ts';
import { markRotated, type TokenOwner } from '../../repo/tokens.ts';
import { issueToken } from '../../tokens/issue.ts';
import type { Caller } from '../deps.ts';
import { loggedCaller, type TokenCommandDeps } from './deps.ts';
import { successorLifetime } from './expiry.ts';
import { findOwnToken } from './own-token.ts';
import { awaitFirstUse } from './retire-on-use.ts';

export interface RotateOptions {
  /** How long the old token keeps working beside its successor (the API bounds it by rotation_max_grace_seconds). */
  graceSeconds: number;
  /**
   * The old token ends at the successor's first use instead; graceSeconds (or, when 0, the longest grace
   * allowed) still bounds it, so a successor never used cannot keep the old token alive for good.
   */
  retireOnUse?: boolean;
}

export interface RotateTokenInput extends RotateOptions {
  user: { id: number; name: string };
  /** `a<id>`, as the API names tokens. */
  tokenId: string;
}

/** The owner of a token being rotated: its row id and, for the log and the audit record, its name. */
export type RotatedOwner = TokenOwner & { name: string };

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
 * Replaces a user's token by a new one with the same note, scopes and lifetime; the old one works on
 * for the grace period (never beyond its own expiry). Returns the successor's secret and row.
 */
export async function rotateToken(
  deps: TokenCommandDeps,
  caller: Caller,
  input: RotateTokenInput,
): Promise<{ token: string; row: TokenRow }> {
  const { user, tokenId } = input;
  const old = await findOwnToken(deps.k, user, tokenId, true);
  return rotateTokenRow(deps, caller, old, { kind: 'user', id: user.id, name: user.name }, input);
}

/** rotateToken for a token already found and known to be `owner`'s (a user's or a service's). */
export async function rotateTokenRow(
  deps: TokenCommandDeps,
  caller: Caller,
  old: TokenRow,
  owner: RotatedOwner,
  opts: RotateOptions,
): Promise<{ token: string; row: TokenRow }> {
  const tokenId = `a${old.id}`;
  assertRotatable(old, tokenId);
  const { graceSeconds, retireOnUse = false } = opts;
  const graceEnd = isoIn(
    retireOnUse && graceSeconds === 0 ? deps.config.tokens.rotation_max_grace_seconds : graceSeconds,
  );
  const oldEnd = old.expires_at && old.expires_at < graceEnd ? old.expires_at : graceEnd;
  const issued = await issueToken(
    deps.k,
    deps.dbKind,
    {
      owner: { kind: owner.kind, id: owner.id },
      kind: 'api',
      note: old.note,
      scopes: parseJson<string[]>(old.scopes, []),
      expiresIn: successorLifetime(deps.config.tokens, old),
      rotatedFrom: old.id,
    },
    {
      inTransaction: async (trx, created) => {
        // In the same transaction as the new token: of two concurrent rotations only one succeeds.
        if (!(await markRotated(trx, old.id, created.id, oldEnd))) throw tokenRotatedMeanwhile(tokenId);
        if (retireOnUse) await awaitFirstUse(trx, old.id, created.id);
      },
    },
  );
  const { row } = issued;
  deps.permissions.invalidate();
  // The old token ends now (no grace) or at oldEnd, which the pusher's next-expiry timer then finds.
  deps.refusals?.tokensChanged();
  const ownerName = owner.kind === 'user' ? owner.name : `service:${owner.name}`;
  const until = retireOnUse ? `the first use of a${row.id}, at the latest ${oldEnd}` : oldEnd;
  deps.log.info(
    { ...loggedCaller(caller), owner: ownerName, old: tokenId, new: `a${row.id}`, grace: graceSeconds, retireOnUse },
    'token rotated',
  );
  deps.audit.record({
    ...caller.origin,
    action: 'token.rotate',
    // The audit owner is a user (whose own events they may read); a service's token names its service in the reason.
    target: tokenTarget(old.id, owner.kind === 'user' ? owner.name : null),
    reason: `${owner.kind === 'service' ? `${ownerName}: ` : ''}replaced by a${row.id}; old token works until ${until}`,
  });
  return issued;
}
