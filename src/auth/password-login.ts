// The password authenticator's check of a login: the stored argon2id hash, then, for a user with a second
// factor, a TOTP code not used before. A sign-up still waiting for approval is told so, but only to
// someone who gave its password: anyone else learns nothing about which names are waiting.
import type { Kysely } from 'kysely';
import type { Database } from '../db/index.ts';
import { signupPending } from '../errors/index.ts';
import type { CryptKeeper } from './auth-state/index.ts';
import { passwordHashFor, verifyPassword } from './passwords.ts';
import { consumeTotpStep, openTotpSecret, totpStep } from './totp.ts';

export interface PasswordLoginDeps {
  k: Kysely<Database>;
  crypt: CryptKeeper;
}

/**
 * True when `password` (and `code`, for a user with a second factor) is right for `name`. Throws
 * signupPending when the name is a sign-up waiting for approval and the password is its own.
 */
export async function checkPasswordLogin(
  deps: PasswordLoginDeps,
  name: string,
  password: string,
  code: unknown,
): Promise<boolean> {
  const found = await passwordHashFor(deps.k, name);
  if (!found) {
    const request = await deps.k
      .selectFrom('signup_requests')
      .select('hash')
      .where('name', '=', name)
      .executeTakeFirst();
    // An unknown name is checked against the dummy hash: the same argon2 work either way.
    if (await verifyPassword(request?.hash ?? null, password)) throw signupPending(name);
    return false;
  }
  if (!(await verifyPassword(found.hash, password))) return false;
  if (found.otpSecret === null) return true;
  const secret = openTotpSecret(deps.crypt, found.otpSecret);
  const step = secret === null ? null : await totpStep(secret, code, found.otpLastStep);
  return step !== null && (await consumeTotpStep(deps.k, found.userId, step));
}
