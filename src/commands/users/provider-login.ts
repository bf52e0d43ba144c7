import { userTarget } from '../../audit/index.ts';
import { admit, authStateOf, groupsOf, type ProviderLogin, refreshLogin } from '../../authenticators/oauth/index.ts';
import { presetEnrich } from '../../authenticators/oauth/presets/index.ts';
import type { AuthenticatorConfig } from '../../config/index.ts';
import { isOAuthClass } from '../../config/schema-oauth.ts';
import type { UserRow } from '../../db/index.ts';
import { HubError } from '../../errors/index.ts';
import { rotateCookieId, updateUser } from '../../repo/users.ts';
import type { Caller } from '../deps.ts';
import { syncGroupsFromIdp } from '../groups/sync-from-idp.ts';
import { syncRolesFromIdp } from '../roles/sync-from-idp.ts';
import { type AuthStateDeps, loadAuthState, sealAuthState } from './auth-state.ts';
import { modifyUser } from './modify.ts';

/**
 * What a login through the identity provider leaves behind beyond completeLogin's (auth_state and
 * groups, as post_auth_hook left them): the time it was confirmed, and with manage_roles the provider's
 * roles as the user's roles. Part of the login, whose own audit event records it.
 */
export async function recordProviderLogin(
  deps: AuthStateDeps,
  caller: Caller,
  input: { user: UserRow; login: ProviderLogin },
): Promise<void> {
  const { user, login } = input;
  const a = deps.config.authenticator;
  deps.authRefresh.confirmed(user.id);
  // Role names are read as groups are: a list, or one string.
  if (a.manage_roles)
    await syncRolesFromIdp(deps, caller, { user, roles: groupsOf(a.oauth.auth_state_roles_key, login) });
}

/**
 * Upstream's refresh_auth: when the user's login was last confirmed more than auth_refresh_age ago (or
 * `force`, for refresh_pre_spawn and refresh_pre_stop), ask the provider again. True: the login stands
 * (auth_state, groups and roles renewed). False: the provider refused, or its answer no longer admits
 * the user (allowed_groups; a preset's organizations, GitLab groups and projects, Google's hosted domain,
 * asked again), and every session of the user is ended; they must log in again.
 * Only an oauth login (or a preset's) with auth_state has something to ask with; others always stand
 * (upstream's default). An unreachable provider leaves the login standing, logged: an outage must not
 * log everyone out.
 */
export async function refreshAuth(
  deps: AuthStateDeps,
  caller: Caller,
  input: { user: UserRow; force?: boolean },
): Promise<boolean> {
  const { user } = input;
  const a = deps.config.authenticator;
  if (!isOAuthClass(a.class) || !a.enable_auth_state) return true;
  if (!input.force && !deps.authRefresh.isStale(user.id)) return true;
  return deps.authRefresh.once(user.id, async () => {
    const state = await loadAuthState(deps, user);
    let fresh: ProviderLogin | null = null;
    let refused = state
      ? 'the identity provider refused to refresh the login'
      : 'no auth_state to refresh the login with';
    if (state) {
      try {
        fresh = await askAgain(a, state);
      } catch (err) {
        if (!(err instanceof HubError) || err.status >= 500) {
          deps.log.warn(
            { user: user.name, err: (err as Error).message },
            'auth refresh: the identity provider did not answer; the login stands',
          );
          deps.authRefresh.confirmed(user.id);
          return true;
        }
        refused = err.message;
      }
    }
    // The user exists: allow_existing_users, when on, still admits them.
    const existing = a.allow_existing_users === true;
    const groupsNow = (login: ProviderLogin) => groupsOf(a.oauth.auth_state_groups_key, login);
    const verdict = fresh ? admit(a, user.name, groupsNow(fresh), fresh.preset?.membership, existing) : null;
    if (!fresh || !verdict?.allowed) {
      await endLogins(deps, caller, user, verdict && !verdict.allowed ? `no longer allowed: ${verdict.why}` : refused);
      return false;
    }
    await renewProviderLogin(deps, caller, user, fresh);
    await applyAdminGroups(deps, caller, user, verdict.admin);
    deps.log.info({ user: user.name }, 'auth refreshed with the identity provider');
    return true;
  });
}

/** The provider's answer for a stored login, with a preset's membership checks made again. */
async function askAgain(a: AuthenticatorConfig, state: Record<string, unknown>): Promise<ProviderLogin | null> {
  const fresh = await refreshLogin(a.oauth, state);
  const enrich = presetEnrich(a);
  if (!fresh || !enrich) return fresh;
  return { ...(await enrich(fresh, fresh.tokens.access_token)), tokens: fresh.tokens };
}

/** A refresh's answer replaces the login's: auth_state (enable_auth_state), groups (manage_groups), roles. */
async function renewProviderLogin(deps: AuthStateDeps, caller: Caller, user: UserRow, login: ProviderLogin) {
  const a = deps.config.authenticator;
  if (a.enable_auth_state)
    await updateUser(deps.k, user.id, { auth_state: sealAuthState(deps.crypt, authStateOf(login)) });
  if (a.manage_groups)
    await syncGroupsFromIdp(deps, caller, { user, groups: groupsOf(a.oauth.auth_state_groups_key, login) });
  await recordProviderLogin(deps, caller, { user, login });
}

/** Every login cookie of the user stops working (a new cookie_id); their next request goes to the login page. */
async function endLogins(deps: AuthStateDeps, caller: Caller, user: UserRow, why: string): Promise<void> {
  await rotateCookieId(deps.k, user.id);
  deps.authRefresh.forget(user.id);
  deps.log.warn({ user: user.name, why }, 'User has stale auth info. Login is required to refresh.');
  deps.audit.record({ ...caller.origin, action: 'logout', target: userTarget(user.name), reason: why });
}

/**
 * admin_groups at a refresh, as upstream's auth_to_user: the provider's current groups grant or remove
 * admin (admin_users still count). At a login admitUser has done this already.
 */
async function applyAdminGroups(deps: AuthStateDeps, caller: Caller, user: UserRow, admin: boolean | undefined) {
  if (admin === undefined || admin === (user.admin === 1)) return;
  await modifyUser(deps, caller, { name: user.name, changes: { admin }, why: 'admin_groups, at refresh' });
}
