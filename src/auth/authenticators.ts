import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../config/index.ts';
import { isOAuthClass } from '../config/schema-oauth.ts';
import type { Database } from '../db/index.ts';
import { loginThrottled } from '../errors/index.ts';
import { safeEqual } from '../lib/secrets.ts';
import { type LoginThrottle, throttledMessage } from './login-throttle.ts';
import type { CryptKeeper } from './auth-state/index.ts';
import { checkPasswordLogin } from './password-login.ts';
import { existingUserAllowed, loginAllowed, usernamePattern } from '../commands/users/rules.ts';
import { normalizeUsername, validateUsername } from './usernames.ts';
import { loginName } from '../authenticators/username-map.ts';

/** Who the password is right for under the configured authenticator class, or null. */
async function passwordMatches(
  ctx: PasswordDeps,
  typed: string,
  password: string,
  code: unknown,
): Promise<PasswordLogin | null> {
  const a = ctx.config.authenticator;
  // The directory answers, and applies its allowed_groups/admin_groups with the hub's lists.
  // Loaded on first use: ldapts is of no use to the other classes' hubs.
  if (a.class === 'ldap')
    return (await import('../authenticators/ldap/index.ts')).ldapLogin(a, ctx.log, typed, password, undefined, (n) =>
      existingUserAllowed(ctx, n),
    );
  // The typed name may be another spelling of a hub name (username_map): the account checked is the mapped one.
  const name = loginName(a, typed);
  if (a.class === 'password') {
    // A wrong second-factor code fails like a wrong password, and is throttled with it.
    return (await checkPasswordLogin(ctx, name, password, code)) ? { name } : null;
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
  crypt: CryptKeeper;
}

/**
 * Checks `{username, password}` against the configured authenticator and returns the normalized
 * name, or null. `dummy` accepts any password unless a shared one is configured; `password` checks
 * the user's stored argon2id hash (and `2fa`, the TOTP code, for a user with a second factor). Throws a
 * 429 HubError (with Retry-After) while the name or the client address `opts.ip` is throttled after
 * repeated failures, and signupPending for a right password of a sign-up not yet approved.
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
  const found = validateUsername(name, usernamePattern(ctx.config))
    ? await passwordMatches(ctx, name, password, data['2fa'])
    : null;
  if (!found || !(found.allowed || (await loginAllowed(ctx, found.name)))) {
    throttle.failure(name, ip);
    return null;
  }
  throttle.success(name);
  return found;
}
