import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../config/index.ts';
import { isOAuthClass } from '../config/schema-oauth.ts';
import type { Database } from '../db/index.ts';
import { loginThrottled } from '../errors/index.ts';
import { safeEqual } from '../lib/secrets.ts';
import { type LoginThrottle, throttledMessage } from './login-throttle.ts';
import { passwordHashFor, verifyPassword } from './passwords.ts';
import { existingUserAllowed, loginAllowed, usernamePattern } from '../commands/users/rules.ts';
import { normalizeUsername, validateUsername } from './usernames.ts';
import { ldapLogin } from '../authenticators/ldap/index.ts';
import { loginName } from '../authenticators/username-map.ts';

/** Who the password is right for under the configured authenticator class, or null. */
async function passwordMatches(ctx: PasswordDeps, typed: string, password: string): Promise<PasswordLogin | null> {
  const a = ctx.config.authenticator;
  // The directory answers, and applies its allowed_groups/admin_groups with the hub's lists.
  if (a.class === 'ldap') return ldapLogin(a, ctx.log, typed, password, undefined, (n) => existingUserAllowed(ctx, n));
  // The typed name may be another spelling of a hub name (username_map): the account checked is the mapped one.
  const name = loginName(a, typed);
  if (a.class === 'password') {
    // An unknown user, or one without a password, is checked against a dummy hash: same answer,
    // same argon2 work as a wrong password.
    const found = await passwordHashFor(ctx.k, name);
    return (await verifyPassword(found?.hash ?? null, password)) ? { name } : null;
  }
  return a.password === null || safeEqual(password, a.password) ? { name } : null;
}

/**
 * A name the password was right for; `admin` and `allowed` as admitUser takes them, and `groups` for
 * manage_groups and `auth_state` to keep (from LDAP).
 */
export interface PasswordLogin {
  name: string;
  admin?: boolean;
  allowed?: true;
  groups?: string[];
  auth_state?: Record<string, unknown>;
}

/** What checking a password needs; the hub's context has it all. */
export interface PasswordDeps {
  config: Pick<Config, 'authenticator'>;
  k: Kysely<Database>;
  log: Logger;
  loginThrottle: LoginThrottle;
}

/**
 * Checks `{username, password}` against the configured authenticator and returns the normalized
 * name, or null. `dummy` accepts any password unless a shared one is configured; `password` checks
 * the user's stored argon2id hash. Throws a 429 HubError (with Retry-After) while the name or the
 * client address `opts.ip` is throttled after repeated failures.
 */
export async function authenticatePassword(
  ctx: PasswordDeps,
  data: Record<string, unknown>,
  opts: { ip?: string } = {},
): Promise<string | null> {
  return (await authenticateLogin(ctx, data, opts))?.name ?? null;
}

/** authenticatePassword, with what the authenticator said about admission for completeLogin. */
export async function authenticateLogin(
  ctx: PasswordDeps,
  data: Record<string, unknown>,
  opts: { ip?: string } = {},
): Promise<PasswordLogin | null> {
  const { username, password } = data;
  if (typeof username !== 'string' || typeof password !== 'string') return null;
  const a = ctx.config.authenticator;
  // The identity provider checks passwords, not the hub: no name gets in through the form or token request.
  if (isOAuthClass(a.class)) return null;
  const name = normalizeUsername(username);
  const ip = opts.ip ?? null;
  const throttle = ctx.loginThrottle;
  const wait = throttle.retryAfter(name, ip);
  if (wait > 0) {
    ctx.log.warn({ user: name.slice(0, 64), ip, retry_after: wait }, 'login attempt refused: too many failures');
    throw loginThrottled(throttledMessage(wait), wait);
  }
  // The login rules are the admission command's (src/commands/users/rules.ts): one copy of them.
  const found = validateUsername(name, usernamePattern(ctx.config)) ? await passwordMatches(ctx, name, password) : null;
  if (!found || !(found.allowed || (await loginAllowed(ctx, found.name)))) {
    throttle.failure(name, ip);
    return null;
  }
  throttle.success(name);
  return found;
}
