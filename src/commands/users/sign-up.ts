import { userTarget } from '../../audit/index.ts';
import type { CryptKeeper } from '../../auth/auth-state/index.ts';
import { hashPassword, passwordProblem, storePasswordHash } from '../../auth/passwords.ts';
import { totpEnrollment, sealTotpSecret, type TotpEnrollment } from '../../auth/totp.ts';
import { alreadyExists, invalidRequest } from '../../errors/index.ts';
import { isoNow } from '../../lib/time.ts';
import { findSignupRequest } from '../../repo/signup-requests.ts';
import { findUser } from '../../repo/users.ts';
import type { Caller, CommandDeps } from '../deps.ts';
import { createUser } from './create.ts';
import { checkedUsername, checkLoginAllowed } from './rules.ts';

/** The sign-up commands also seal second-factor secrets (JUPYTERHUB_CRYPT_KEY). */
export interface PasswordAccountDeps extends CommandDeps {
  crypt: CryptKeeper;
}

export interface SignUpResult {
  name: string;
  /** Waiting for an admin's approval (open_signup off): no user exists yet. */
  pending: boolean;
  /** The second factor to put in an authenticator app, shown once, when asked for. */
  totp: TotpEnrollment | null;
}

/**
 * Self-service account for the password authenticator: a new, allowed name and a password the policy
 * accepts. With open_signup off the account waits for an admin (a signup request, not a user), unless an
 * admin already named it in admin_users or allowed_users, as upstream. A waiting request, an account with
 * a password and an admin's account are never taken over.
 */
export async function signUp(
  deps: PasswordAccountDeps,
  caller: Caller,
  input: { name: string; password: string; twoFactor?: boolean },
): Promise<SignUpResult> {
  const a = deps.config.authenticator;
  const name = checkedUsername(deps.config, input.name);
  const weak = passwordProblem(a, input.password, name);
  if (weak) throw invalidRequest(weak);
  if (input.twoFactor && !a.allow_2fa) throw invalidRequest('two-factor authentication is not enabled on this hub');
  checkLoginAllowed(deps.config, name);
  const taken = () => alreadyExists(`User ${name} already exists`);
  const existing = await findUser(deps.k, name);
  // allowed_users are created at start-up, before their people sign up: as upstream, the sign-up gives such
  // an account its password, once. Never an admin's account: whoever came first would become admin.
  const claim = existing && a.allowed_users.includes(name) && !existing.admin ? existing : null;
  if ((existing && !claim) || (await findSignupRequest(deps.k, name))) throw taken();
  const totp = input.twoFactor ? totpEnrollment(deps.config.bind_url, name) : null;
  const sealed = totp ? sealTotpSecret(deps.crypt, totp.secret) : null;
  const hash = await hashPassword(input.password);
  if (claim) {
    try {
      // A plain insert: if the account has a password already (or a concurrent claim won), it fails.
      await deps.k
        .insertInto('user_passwords')
        .values({ user_id: claim.id, hash, otp_secret: sealed, updated: isoNow() })
        .execute();
    } catch {
      throw taken();
    }
    deps.log.info({ user: name }, 'signed up for an allowed_users account');
    deps.audit.record({ ...caller.origin, action: 'user.signup', target: userTarget(name), reason: 'allowed_users' });
    return { name, pending: false, totp };
  }
  if (a.open_signup || a.admin_users.includes(name) || a.allowed_users.includes(name)) {
    await createUser(deps, caller, {
      name,
      reason: 'signup',
      alongside: (trx, row) => storePasswordHash(trx, row.id, hash, sealed),
    });
    return { name, pending: false, totp };
  }
  try {
    await deps.k.insertInto('signup_requests').values({ name, hash, otp_secret: sealed, created: isoNow() }).execute();
  } catch {
    // The primary key: a concurrent sign-up of the same name got there first.
    throw taken();
  }
  deps.log.info({ user: name }, 'sign-up waiting for approval');
  deps.audit.record({
    ...caller.origin,
    action: 'user.signup',
    target: userTarget(name),
    reason: 'waiting for approval',
  });
  return { name, pending: true, totp };
}
