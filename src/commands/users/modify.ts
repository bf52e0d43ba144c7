import { userTarget } from '../../audit/index.ts';
import { normalizeUsername } from '../../auth/usernames.ts';
import type { UserRow } from '../../db/index.ts';
import { adminRequired, invalidRequest, noSuchUser } from '../../errors/index.ts';
import { assignDefaultRoles } from '../../repo/roles.ts';
import { findUser, updateUser } from '../../repo/users.ts';
import type { Caller, CommandDeps } from '../deps.ts';
import { type AuthStateDeps, sealAuthState } from './auth-state.ts';
import { checkedUsername } from './rules.ts';

export interface UserChanges {
  name?: string;
  admin?: boolean;
  /** An object replaces the stored auth_state; null clears it. */
  auth_state?: Record<string, unknown> | null;
}

/**
 * PATCH /users/{name}: rename, change admin, replace auth_state. Returns the row as it now is. `why`
 * says what asked for it when not a request (e.g. admin_users at login), for the audit log.
 */
export async function modifyUser(
  deps: CommandDeps & Partial<Pick<AuthStateDeps, 'crypt'>>,
  caller: Caller,
  input: { name: string; changes: UserChanges; why?: string },
): Promise<UserRow> {
  const { changes } = input;
  const user = await findUser(deps.k, input.name);
  if (!user) throw noSuchUser(input.name);
  let newName: string | undefined;
  if (changes.name !== undefined && normalizeUsername(changes.name) !== user.name) {
    newName = checkedUsername(deps.config, changes.name);
    if (await findUser(deps.k, newName))
      throw invalidRequest(`User ${newName} already exists, username must be unique`);
  }
  if (caller.principal && !caller.principal.admin) {
    if (user.admin === 1) throw adminRequired('Only admins can modify other admins');
    if (changes.admin) throw adminRequired('Only admins can grant admin permissions');
  }
  // Encrypted before anything is written: without a key the whole change is refused.
  const authState = changes.auth_state === undefined ? undefined : sealAuthState(deps.crypt, changes.auth_state);
  await deps.k.transaction().execute(async (trx) => {
    await updateUser(trx, user.id, { name: newName, admin: changes.admin, auth_state: authState });
    if (changes.admin !== undefined) await assignDefaultRoles(trx, user.id, changes.admin);
  });
  deps.permissions.invalidate();
  deps.log.info({ actor: caller.principal?.name ?? null, user: user.name, keys: Object.keys(changes) }, 'updated user');
  deps.audit.record({
    ...caller.origin,
    action: 'user.modify',
    target: userTarget(newName ?? user.name),
    reason: describeChanges(user, changes, newName) + (input.why ? ` (${input.why})` : ''),
  });
  return (await findUser(deps.k, newName ?? user.name))!;
}

/** What a PATCH changed, for the audit log (auth_state only by name: it may hold secrets). */
function describeChanges(before: UserRow, changes: UserChanges, newName: string | undefined): string {
  const parts = [];
  if (newName !== undefined) parts.push(`renamed from ${before.name} to ${newName}`);
  if (changes.admin !== undefined && changes.admin !== (before.admin === 1)) parts.push(`admin: ${changes.admin}`);
  if (changes.auth_state !== undefined) parts.push('auth_state replaced');
  return parts.length ? parts.join('; ') : 'no change';
}
