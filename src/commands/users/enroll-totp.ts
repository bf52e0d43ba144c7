import { userTarget } from '../../audit/index.ts';
import { passwordHashFor, storeTotpSecret } from '../../auth/passwords.ts';
import { consumeTotpStep, sealTotpSecret, totpStep } from '../../auth/totp.ts';
import { invalidRequest, noSuchUser } from '../../errors/index.ts';
import type { Caller } from '../deps.ts';
import type { PasswordAccountDeps } from './sign-up.ts';

/**
 * Turns on a user's second factor (authenticator.allow_2fa): `secret` is the one they were shown, and
 * `code` proves their app has it, so nobody locks themselves out with a mistyped secret. The step of that
 * code counts as used: it cannot then sign in too.
 */
export async function enrollTotp(
  deps: PasswordAccountDeps,
  caller: Caller,
  input: { name: string; secret: string; code: string },
): Promise<void> {
  if (!deps.config.authenticator.allow_2fa)
    throw invalidRequest('two-factor authentication is not enabled on this hub');
  const record = await passwordHashFor(deps.k, input.name);
  if (!record?.hash) throw noSuchUser(input.name);
  const step = await totpStep(input.secret, input.code, null);
  if (step === null) throw invalidRequest('That code is not right for this secret; check the app and try again.');
  if ((await storeTotpSecret(deps.k, record.userId, sealTotpSecret(deps.crypt, input.secret))) !== 1)
    throw noSuchUser(input.name);
  await consumeTotpStep(deps.k, record.userId, step);
  deps.log.info({ user: input.name }, 'two-factor authentication turned on');
  deps.audit.record({ ...caller.origin, action: 'user.2fa_enable', target: userTarget(input.name) });
}
