import { userTarget } from '../../audit/index.ts';
import {
  hashPassword,
  passwordHashFor,
  passwordProblem,
  storePasswordHash,
  verifyPassword,
} from '../../auth/passwords.ts';
import type { UserRow } from '../../db/index.ts';
import { invalidRequest, missingScope, noSuchUser, wrongPassword } from '../../errors/index.ts';
import { isoNow } from '../../lib/time.ts';
import { revokeTokens } from '../../repo/tokens.ts';
import { findUser, rotateCookieId } from '../../repo/users.ts';
import type { Caller, CommandDeps } from '../deps.ts';

/**
 * Sets a user's password: with `currentPassword`, the user themself (it must be right); without it, an
 * admin (admin:users) or the CLI. The new password passes the one policy. Every login cookie of the user
 * stops working (a new cookie id) and the tokens of their browser sessions are revoked: a password is
 * changed because it may be known to someone else, whose session must not outlive the change. The caller
 * gives the browser that made the change a new login. Returns the user as it is now.
 */
export async function changePassword(
  deps: CommandDeps,
  caller: Caller,
  input: { name: string; password: string; currentPassword?: string },
): Promise<UserRow> {
  if (input.currentPassword === undefined && caller.principal && !caller.principal.scopes.has('admin:users'))
    throw missingScope(['admin:users']);
  const record = await passwordHashFor(deps.k, input.name);
  if (!record) throw noSuchUser(input.name);
  if (input.currentPassword !== undefined && !(await verifyPassword(record.hash, input.currentPassword)))
    throw wrongPassword();
  const weak = passwordProblem(deps.config.authenticator, input.password, input.name);
  if (weak) throw invalidRequest(weak);
  const hash = await hashPassword(input.password);
  const revoked = await deps.k.transaction().execute(async (trx) => {
    await storePasswordHash(trx, record.userId, hash);
    await rotateCookieId(trx, record.userId);
    const sessionTokens = await trx
      .selectFrom('api_tokens')
      .select('id')
      .where('user_id', '=', record.userId)
      .where('session_id', 'is not', null)
      .where('revoked_at', 'is', null)
      .execute();
    return revokeTokens(
      trx,
      sessionTokens.map((t) => t.id),
      isoNow(),
    );
  });
  deps.permissions.invalidate();
  deps.refusals?.tokensChanged();
  const by = input.currentPassword === undefined ? (caller.principal?.name ?? 'the hub') : 'the user';
  deps.log.info(
    { actor: caller.principal?.name ?? null, user: input.name, revoked_tokens: revoked },
    'password changed',
  );
  deps.audit.record({
    ...caller.origin,
    action: 'user.password_change',
    target: userTarget(input.name),
    reason: `by ${by}; sessions ended, ${revoked} session tokens revoked`,
  });
  return (await findUser(deps.k, input.name))!;
}
