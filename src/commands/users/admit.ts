import { hashPassword, passwordProblem, storePasswordHash } from '../../auth/passwords.ts';
import { normalizeUsername } from '../../auth/usernames.ts';
import type { UserRow } from '../../db/index.ts';
import { alreadyExists, invalidRequest } from '../../errors/index.ts';
import { findUser } from '../../repo/users.ts';
import type { Caller, CommandDeps } from '../deps.ts';
import { createUser } from './create.ts';
import { modifyUser } from './modify.ts';
import { checkedUsername, checkLoginAllowed } from './rules.ts';

/**
 * Login-time admission of a name the authenticator accepted: normalized, refused if blocked or not
 * allowed, created on first login with the default roles, and made admin if `admin_users` lists it
 * (as upstream, an authenticator that says "admin" promotes; it never demotes).
 */
export async function admitUser(deps: CommandDeps, caller: Caller, input: { name: string }): Promise<UserRow> {
  const name = normalizeUsername(input.name);
  checkLoginAllowed(deps.config, name);
  const admin = deps.config.authenticator.admin_users.includes(name);
  const user = await findUser(deps.k, name);
  if (!user) {
    try {
      return await createUser(deps, caller, { name, admin, reason: `first login${admin ? ' (admin_users)' : ''}` });
    } catch (err) {
      // Two first logins at once: the other one created the row.
      const raced = await findUser(deps.k, name);
      if (!raced) throw err;
      return raced;
    }
  }
  if (admin && user.admin !== 1)
    return modifyUser(deps, caller, { name, changes: { admin: true }, why: 'admin_users, at login' });
  return user;
}

/**
 * Self-service account for the password authenticator: a new, allowed name and an acceptable
 * password, stored with the user in one transaction. An existing account is never taken over.
 */
export async function signUp(
  deps: CommandDeps,
  caller: Caller,
  input: { name: string; password: string },
): Promise<UserRow> {
  const name = checkedUsername(deps.config, input.name);
  const weak = passwordProblem(input.password);
  if (weak) throw invalidRequest(weak);
  checkLoginAllowed(deps.config, name);
  if (await findUser(deps.k, name)) throw alreadyExists(`User ${name} already exists`);
  const hash = await hashPassword(input.password);
  return createUser(deps, caller, {
    name,
    reason: 'signup',
    alongside: (trx, row) => storePasswordHash(trx, row.id, hash),
  });
}
