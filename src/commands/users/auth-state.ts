import { userTarget } from '../../audit/index.ts';
import {
  CRYPT_KEY_ENV,
  type CryptKeeper,
  EncryptionUnavailable,
  type RefreshTimes,
} from '../../auth/auth-state/index.ts';
import { authStateOf, groupsOf, type ProviderLogin, refreshLogin } from '../../authenticators/oauth/index.ts';
import type { UserRow } from '../../db/index.ts';
import { authStateUnavailable } from '../../errors/index.ts';
import { rotateCookieId, updateUser } from '../../repo/users.ts';
import type { Caller, CommandDeps } from '../deps.ts';
import { syncGroupsFromIdp } from '../groups/sync-from-idp.ts';

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

/**
 * The user's auth_state, decrypted; null when there is none or it cannot be read (no key, a key that
 * does not open it, an altered row): logged, never an error, as upstream. With several keys the row is
 * written again with the first, so old keys can be retired once every user has been read.
 */
export async function loadAuthState(deps: AuthStateDeps, user: UserRow): Promise<AuthState | null> {
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

/**
 * What a login through the identity provider leaves behind: its tokens and user data as auth_state
 * (with enable_auth_state), the time it was confirmed, and with manage_groups the provider's groups as
 * the user's hub groups. Part of the login, whose own audit event records it.
 */
export async function recordProviderLogin(
  deps: AuthStateDeps,
  caller: Caller,
  input: { user: UserRow; login: ProviderLogin },
): Promise<void> {
  const { user, login } = input;
  const a = deps.config.authenticator;
  if (a.enable_auth_state)
    await updateUser(deps.k, user.id, { auth_state: sealAuthState(deps.crypt, authStateOf(login)) });
  deps.authRefresh.confirmed(user.id);
  if (a.manage_groups)
    await syncGroupsFromIdp(deps, caller, { user, groups: groupsOf(a.oauth.auth_state_groups_key, login) });
}

/**
 * Upstream's refresh_auth: when the user's login was last confirmed more than auth_refresh_age ago (or
 * `force`, for refresh_pre_spawn), ask the provider again. True: the login stands (auth_state and groups
 * renewed). False: the provider refused, and every session of the user is ended; they must log in again.
 * Only an oauth login with auth_state has something to ask with; others always stand (upstream's default).
 * An unreachable provider leaves the login standing, logged: an outage must not log everyone out.
 */
export async function refreshAuth(
  deps: AuthStateDeps,
  caller: Caller,
  input: { user: UserRow; force?: boolean },
): Promise<boolean> {
  const { user } = input;
  const a = deps.config.authenticator;
  if (a.class !== 'oauth' || !a.enable_auth_state) return true;
  if (!input.force && !deps.authRefresh.isStale(user.id)) return true;
  return deps.authRefresh.once(user.id, async () => {
    const state = await loadAuthState(deps, user);
    let fresh: ProviderLogin | null = null;
    if (state) {
      try {
        fresh = await refreshLogin(a.oauth, state);
      } catch (err) {
        deps.log.warn(
          { user: user.name, err: (err as Error).message },
          'auth refresh: the identity provider did not answer; the login stands',
        );
        deps.authRefresh.confirmed(user.id);
        return true;
      }
    }
    if (!fresh) {
      await endLogins(
        deps,
        caller,
        user,
        state ? 'the identity provider refused to refresh the login' : 'no auth_state to refresh the login with',
      );
      return false;
    }
    await recordProviderLogin(deps, caller, { user, login: fresh });
    deps.log.info({ user: user.name }, 'auth refreshed with the identity provider');
    return true;
  });
}

/** Every login cookie of the user stops working (a new cookie_id); their next request goes to the login page. */
async function endLogins(deps: AuthStateDeps, caller: Caller, user: UserRow, why: string): Promise<void> {
  await rotateCookieId(deps.k, user.id);
  deps.authRefresh.forget(user.id);
  deps.log.warn({ user: user.name, why }, 'User has stale auth info. Login is required to refresh.');
  deps.audit.record({ ...caller.origin, action: 'logout', target: userTarget(user.name), reason: why });
}
