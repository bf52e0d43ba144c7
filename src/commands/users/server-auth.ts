import { authExpired } from '../../errors/index.ts';
import { findUserById } from '../../repo/users.ts';
import type { ServerOwner } from '../../servers/deps.ts';
import type { Caller, CommandDeps } from '../deps.ts';
import { type AuthStateDeps, loadAuthState } from './auth-state.ts';
import { refreshAuth } from './provider-login.ts';

/** The server commands' deps: the auth_state parts are the hub's (HubContext has them), absent elsewhere. */
export type MaybeAuthStateDeps = CommandDeps & Partial<Pick<AuthStateDeps, 'crypt' | 'authRefresh'>>;

/**
 * refresh_pre_spawn / refresh_pre_stop: ask the provider again before a server starts or stops, whatever
 * auth_refresh_age says, so the server (or post_stop_hook) sees tokens it has just renewed. A refusal ends
 * the user's logins (refreshAuth). Before a start it is always a 403; before a stop only for the user's own
 * request, as upstream: an admin, a service or the culler stopping the server goes ahead, with a warning.
 */
export async function refreshBefore(
  deps: MaybeAuthStateDeps,
  caller: Caller,
  input: { user: ServerOwner; what: 'spawn' | 'stop' },
): Promise<void> {
  const { crypt, authRefresh } = deps;
  const a = deps.config.authenticator;
  if (!(input.what === 'spawn' ? a.refresh_pre_spawn : a.refresh_pre_stop) || !crypt || !authRefresh) return;
  const row = await findUserById(deps.k, input.user.id);
  if (!row || (await refreshAuth({ ...deps, crypt, authRefresh }, caller, { user: row, force: true }))) return;
  const p = caller.principal;
  if (input.what === 'spawn' || (p?.kind === 'user' && p.id === row.id)) throw authExpired(row.name);
  deps.log.warn({ user: row.name }, 'User may have stale auth info. Stopping anyway.');
}

/**
 * The auth_state a start hands to auth_state_hook, decrypted (after refresh_pre_spawn, so the renewed
 * tokens); null without enable_auth_state, as upstream calls the hook with None then.
 */
export async function authStateForSpawn(
  deps: MaybeAuthStateDeps,
  user: ServerOwner,
): Promise<Record<string, unknown> | null> {
  const { crypt } = deps;
  if (!deps.config.authenticator.enable_auth_state || !crypt) return null;
  const row = await findUserById(deps.k, user.id);
  return row ? loadAuthState({ ...deps, crypt }, row) : null;
}
