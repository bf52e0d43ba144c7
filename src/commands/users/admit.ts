import { normalizeUsername } from '../../auth/usernames.ts';
import type { UserRow } from '../../db/index.ts';
import { findUser } from '../../repo/users.ts';
import type { Caller, CommandDeps } from '../deps.ts';
import { createUser } from './create.ts';
import { modifyUser } from './modify.ts';
import { checkAdmission, checkNotBlocked } from './rules.ts';

/**
 * Login-time admission of a name the authenticator accepted: normalized, refused if blocked or not
 * allowed (allow_existing_users lets a user the hub has already in), created on first login with the default roles, and its admin flag brought in line. Without
 * `admin`, `admin_users` only ever promotes (as upstream); an identity provider's verdict (`admin`, from
 * its admin_groups) promotes and demotes. `allowed: true` says the authenticator has applied the allow
 * rules itself (an identity provider's allowed_groups); blocked_users still applies.
 */
export async function admitUser(
  deps: CommandDeps,
  caller: Caller,
  input: { name: string; admin?: boolean; allowed?: true },
): Promise<UserRow> {
  const name = normalizeUsername(input.name);
  const user = await findUser(deps.k, name);
  if (input.allowed) checkNotBlocked(deps.config, name);
  else checkAdmission(deps.config, name, user !== undefined);
  const admin = input.admin ?? deps.config.authenticator.admin_users.includes(name);
  const source = input.admin === undefined ? 'admin_users' : 'admin_groups';
  if (!user) {
    try {
      return await createUser(deps, caller, { name, admin, reason: `first login${admin ? ` (${source})` : ''}` });
    } catch (err) {
      // Two first logins at once: the other one created the row.
      const raced = await findUser(deps.k, name);
      if (!raced) throw err;
      return raced;
    }
  }
  const demote = input.admin === false && user.admin === 1;
  if ((admin && user.admin !== 1) || demote)
    return modifyUser(deps, caller, { name, changes: { admin }, why: `${source}, at login` });
  return user;
}
