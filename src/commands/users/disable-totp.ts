import { userTarget } from '../../audit/index.ts';
import { passwordHashFor, storeTotpSecret } from '../../auth/passwords.ts';
import { consumeTotpStep, openTotpSecret, totpStep } from '../../auth/totp.ts';
import { invalidRequest, missingScope, noSuchUser } from '../../errors/index.ts';
import type { Caller } from '../deps.ts';
import type { PasswordAccountDeps } from './sign-up.ts';

/**
 * Turns off a user's second factor: the user with a current code (whoever holds only their session
 * cannot), an admin (admin:users) or the CLI without one, for someone who lost their device.
 */
export async function disableTotp(
  deps: PasswordAccountDeps,
  caller: Caller,
  input: { name: string; code?: string },
): Promise<void> {
  if (input.code === undefined && caller.principal && !caller.principal.scopes.has('admin:users'))
    throw missingScope(['admin:users']);
  const record = await passwordHashFor(deps.k, input.name);
  if (!record?.hash) throw noSuchUser(input.name);
  if (record.otpSecret === null) return;
  if (input.code !== undefined) {
    const secret = openTotpSecret(deps.crypt, record.otpSecret);
    const step = secret === null ? null : await totpStep(secret, input.code, record.otpLastStep);
    if (step === null || !(await consumeTotpStep(deps.k, record.userId, step)))
      throw invalidRequest('That authentication code is not right (or was used already).');
  }
  await storeTotpSecret(deps.k, record.userId, null);
  deps.log.info({ actor: caller.principal?.name ?? null, user: input.name }, 'two-factor authentication turned off');
  deps.audit.record({ ...caller.origin, action: 'user.2fa_disable', target: userTarget(input.name) });
}
