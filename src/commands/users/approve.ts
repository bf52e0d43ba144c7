import { storePasswordHash } from '../../auth/passwords.ts';
import type { UserRow } from '../../db/index.ts';
import { noSuchSignup } from '../../errors/index.ts';
import { findSignupRequest } from '../../repo/signup-requests.ts';
import type { Caller, CommandDeps } from '../deps.ts';
import { createUser } from './create.ts';

/**
 * An admin lets a waiting sign-up in: the user is created with the password (and second factor) given at
 * sign-up, and the request goes, in one transaction. Who may approve is the caller's check (admin:users).
 */
export async function approveSignup(deps: CommandDeps, caller: Caller, input: { name: string }): Promise<UserRow> {
  const request = await findSignupRequest(deps.k, input.name);
  if (!request) throw noSuchSignup(input.name);
  return createUser(deps, caller, {
    name: request.name,
    reason: 'signup approved',
    alongside: async (trx, row) => {
      const gone = await trx.deleteFrom('signup_requests').where('name', '=', request.name).executeTakeFirst();
      // Approved or discarded by someone else meanwhile: roll the user back.
      if (Number(gone.numDeletedRows) !== 1) throw noSuchSignup(input.name);
      await storePasswordHash(trx, row.id, request.hash, request.otp_secret);
    },
  });
}
