import {
  CRYPT_KEY_ENV,
  type CryptKeeper,
  EncryptionUnavailable,
  type RefreshTimes,
} from '../../auth/auth-state/index.ts';
import type { UserRow } from '../../db/index.ts';
import { authStateUnavailable } from '../../errors/index.ts';
import { updateUser } from '../../repo/users.ts';
import type { CommandDeps } from '../deps.ts';

/** What auth_state commands need beside the usual: the hub's keys and when each login was last confirmed. */
export interface AuthStateDeps extends CommandDeps {
  crypt: CryptKeeper;
  authRefresh: RefreshTimes;
}

type AuthState = Record<string, unknown>;

/**
 * auth_state as the column holds it: encrypted with the first key, or null. Without a key nothing is
 * stored, and the caller is told why (upstream fails the request with a bare 500).
 */
export function sealAuthState(crypt: CryptKeeper | undefined, value: AuthState | null): string | null {
  if (value === null) return null;
  if (!crypt) throw authStateUnavailable(`Encryption keys must be specified in ${CRYPT_KEY_ENV} env`);
  try {
    return crypt.encrypt(value);
  } catch (err) {
    if (err instanceof EncryptionUnavailable) throw authStateUnavailable(err.message);
    throw err;
  }
}

/** Stores what an authenticator returned as the user's auth_state (a login's; the caller checked enable_auth_state). */
export async function saveAuthState(
  deps: Pick<AuthStateDeps, 'crypt' | 'k'>,
  user: UserRow,
  value: AuthState | null,
): Promise<void> {
  await updateUser(deps.k, user.id, { auth_state: sealAuthState(deps.crypt, value) });
}

/**
 * The user's auth_state, decrypted; null when there is none or it cannot be read (no key, a key that
 * does not open it, an altered row): logged, never an error, as upstream. With several keys the row is
 * written again with the first, so old keys can be retired once every user has been read.
 */
export async function loadAuthState(
  deps: Pick<AuthStateDeps, 'crypt' | 'k' | 'log'>,
  user: UserRow,
): Promise<AuthState | null> {
  if (user.auth_state === null) return null;
  let value: unknown;
  try {
    value = deps.crypt.decrypt(user.auth_state);
  } catch (err) {
    deps.log.warn({ user: user.name, err: (err as Error).message }, 'Failed to retrieve encrypted auth_state');
    return null;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  if (deps.crypt.keyCount > 1) await updateUser(deps.k, user.id, { auth_state: deps.crypt.encrypt(value) });
  return value as AuthState;
}
