import { hashPassword, passwordProblem, storePasswordHash } from '../../auth/passwords.ts';
import type { UserRow } from '../../db/index.ts';
import { alreadyExists, invalidRequest } from '../../errors/index.ts';
import { findUser } from '../../repo/users.ts';
import type { Caller, CommandDeps } from '../deps.ts';
import { createUser } from './create.ts';
import { checkedUsername, checkLoginAllowed } from './rules.ts';

/**
 * Self-service account for the password authenticator: a new, allowed name and an acceptable
 * password, stored with the user in one transaction. An existing account is never taken over.
 */
export async function signUp(
  deps: CommandDeps,
  caller: Caller,
  input: { name: string; password: string },
): Promise<UserRow> {
  const name = checkedUsername(deps.config, input.name);
  const weak = passwordProblem(input.password);
  if (weak) throw invalidRequest(weak);
  checkLoginAllowed(deps.config, name);
  if (await findUser(deps.k, name)) throw alreadyExists(`User ${name} already exists`);
  const hash = await hashPassword(input.password);
  return createUser(deps, caller, {
    name,
    reason: 'signup',
    alongside: (trx, row) => storePasswordHash(trx, row.id, hash),
  });
}
