import type { Kysely } from 'kysely';
import { normalizeUsername, validateUsername } from '../../auth/usernames.ts';
import type { Config } from '../../config/index.ts';
import type { Database } from '../../db/index.ts';
import { invalidUsername, userBlocked, userNotAllowed } from '../../errors/index.ts';
import { findUser } from '../../repo/users.ts';

/** `authenticator.username_pattern` as a whole-name match, or null when any valid name will do. */
export function usernamePattern(config: Pick<Config, 'authenticator'>): RegExp | null {
  const p = config.authenticator.username_pattern;
  return p ? new RegExp(`^(?:${p})$`) : null;
}

/** The normalized form of `name`, or a 400 when the username rules refuse it. */
export function checkedUsername(config: Config, name: string): string {
  const normalized = normalizeUsername(name);
  if (!validateUsername(normalized, usernamePattern(config))) throw invalidUsername(normalized);
  return normalized;
}

/**
 * The hub's allow rules for a (normalized) name that is not blocked: allow_all, allowed_users,
 * admin_users (upstream joins them to allowed_users), and with allow_existing_users, being a user of
 * the hub already (`exists`).
 */
function allowedByHub(config: Pick<Config, 'authenticator'>, name: string, exists: boolean): boolean {
  const a = config.authenticator;
  return (
    a.allow_all === true ||
    a.allowed_users.includes(name) ||
    a.admin_users.includes(name) ||
    (exists && a.allow_existing_users === true)
  );
}

/**
 * allow_existing_users for a name an authenticator vouched for: whether it is already a user of the
 * hub (added by an admin, the API, allowed_users or an earlier login). The database is read only when
 * the rule is on.
 */
export async function existingUserAllowed(
  deps: { config: Pick<Config, 'authenticator'>; k: Kysely<Database> },
  name: string,
): Promise<boolean> {
  if (deps.config.authenticator.allow_existing_users !== true) return false;
  return (await findUser(deps.k, name)) !== undefined;
}

/** Whether a (normalized) name may log in: not in blocked_users, then the hub's allow rules. */
export async function loginAllowed(
  deps: { config: Pick<Config, 'authenticator'>; k: Kysely<Database> },
  name: string,
): Promise<boolean> {
  if (deps.config.authenticator.blocked_users.includes(name)) return false;
  return allowedByHub(deps.config, name, false) || (await existingUserAllowed(deps, name));
}

export function checkNotBlocked(config: Config, name: string): void {
  if (config.authenticator.blocked_users.includes(name)) throw userBlocked(name);
}

/**
 * The login refusals, blocked first as upstream checks it before the allow rules; `exists` says the
 * name is already a user of the hub.
 */
export function checkAdmission(config: Config, name: string, exists: boolean): void {
  checkNotBlocked(config, name);
  if (!allowedByHub(config, name, exists)) throw userNotAllowed(name);
}

/**
 * For a name about to get an account of its own (a sign-up): refused as a login would be once the
 * account exists, so with allow_existing_users (the password class's default) anyone not blocked.
 */
export function checkLoginAllowed(config: Config, name: string): void {
  checkAdmission(config, name, true);
}
