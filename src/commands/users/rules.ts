import { normalizeUsername, validateUsername } from '../../auth/usernames.ts';
import type { Config } from '../../config/index.ts';
import { invalidUsername, userBlocked, userNotAllowed } from '../../errors/index.ts';

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

/** Whether a (normalized) name may log in or sign up: blocked_users, then allow_all / allowed_users / admin_users. */
export function loginAllowed(config: Pick<Config, 'authenticator'>, name: string): boolean {
  const a = config.authenticator;
  if (a.blocked_users.includes(name)) return false;
  return a.allow_all || a.allowed_users.includes(name) || a.admin_users.includes(name);
}

export function checkNotBlocked(config: Config, name: string): void {
  if (config.authenticator.blocked_users.includes(name)) throw userBlocked(name);
}

/** Throws the refusal `loginAllowed` stands for: blocked first, as upstream checks it before the allow lists. */
export function checkLoginAllowed(config: Config, name: string): void {
  checkNotBlocked(config, name);
  if (!loginAllowed(config, name)) throw userNotAllowed(name);
}
