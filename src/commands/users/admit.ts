import { normalizeUsername } from '../../auth/usernames.ts';
import type { UserRow } from '../../db/index.ts';
import { userNotAllowed } from '../../errors/index.ts';
import { assignDefaultRoles, roleNamesHeld } from '../../repo/roles.ts';
import { findUser } from '../../repo/users.ts';
import type { Caller, CommandDeps } from '../deps.ts';
import { createUser } from './create.ts';
import { modifyUser } from './modify.ts';
import { runPostAuthHook } from './post-auth-hook.ts';
import { checkAdmission, checkNotBlocked } from './rules.ts';

export interface AdmitInput {
  name: string;
  admin?: boolean;
  allowed?: true;
  /** An identity provider's or directory's groups, for post_auth_hook and manage_groups. */
  groups?: string[];
  /** What the authenticator would keep as auth_state, for post_auth_hook and enable_auth_state. */
  auth_state?: Record<string, unknown> | null;
}

/** The admitted user, with the groups and auth_state the login goes on with (post_auth_hook's). */
export interface Admitted {
  user: UserRow;
  groups: string[] | undefined;
  auth_state: Record<string, unknown> | null | undefined;
}

/**
 * Login-time admission of a name the authenticator accepted, in JupyterHub's order: normalized,
 * refused if blocked or not allowed (allow_existing_users lets a user the hub has already in), admin
 * decided (is_admin), then post_auth_hook, which may change admin, groups and auth_state or refuse;
 * the user is created on first login with the default roles, and its admin flag brought in line.
 * Without `admin`, `admin_users` only ever promotes (as upstream); an identity provider's verdict
 * (`admin`, from its admin_groups) promotes and demotes. `allowed: true` says the authenticator has
 * applied the allow rules itself (an identity provider's allowed_groups); blocked_users still applies.
 */
export async function admitUser(deps: CommandDeps, caller: Caller, input: AdmitInput): Promise<Admitted> {
  const name = normalizeUsername(input.name);
  const user = await findUser(deps.k, name);
  if (input.allowed) checkNotBlocked(deps.config, name);
  else checkAdmission(deps.config, name, user !== undefined);
  // upstream's is_admin: true for admin_users, else null (leave the flag alone), unless the provider decided.
  const isAdmin = input.admin ?? (deps.config.authenticator.admin_users.includes(name) ? true : null);
  const { groups, auth_state } = input;
  const auth = await runPostAuthHook(deps, {
    name,
    admin: isAdmin,
    ...(groups === undefined ? {} : { groups }),
    ...(auth_state === undefined ? {} : { auth_state }),
  });
  if (!auth) {
    deps.log.warn({ user: name }, 'login refused by post_auth_hook');
    throw userNotAllowed(name);
  }
  const source = auth.admin !== isAdmin ? 'post_auth_hook' : input.admin === undefined ? 'admin_users' : 'admin_groups';
  const admitted = await applyAdmin(deps, caller, name, user, auth.admin, source);
  return { user: admitted, groups: auth.groups, auth_state: auth.auth_state };
}

/** The user as the login leaves it: created at a first login, admin set when `admin` is not null. */
async function applyAdmin(
  deps: CommandDeps,
  caller: Caller,
  name: string,
  user: UserRow | undefined,
  admin: boolean | null,
  source: string,
): Promise<UserRow> {
  if (!user) {
    try {
      return await createUser(deps, caller, {
        name,
        admin: admin === true,
        reason: `first login${admin ? ` (${source})` : ''}`,
      });
    } catch (err) {
      // Two first logins at once: the other one created the row.
      const raced = await findUser(deps.k, name);
      if (!raced) throw err;
      return raced;
    }
  }
  await restoreDefaultRoles(deps, user);
  if (admin === null || admin === (user.admin === 1)) return user;
  return modifyUser(deps, caller, { name, changes: { admin }, why: `${source}, at login` });
}

/**
 * A user holding no role at all was blocked once (blocking takes every role, as upstream); admitted
 * again, they get the default roles back rather than a login that can do nothing.
 */
async function restoreDefaultRoles(deps: CommandDeps, user: UserRow): Promise<void> {
  if ((await roleNamesHeld(deps.k, 'user', user.id)).length > 0) return;
  await deps.k.transaction().execute((trx) => assignDefaultRoles(trx, user.id, user.admin === 1));
  deps.permissions.invalidate();
  deps.log.info({ user: user.name }, 'default roles given back at login');
}
