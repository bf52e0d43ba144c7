import type { Logger } from 'pino';
import type { AuthenticatorConfig } from './schema-authenticator.ts';
import type { Config } from './schema.ts';
import { attachHooks, hooksOf, takeHooks } from './hooks.ts';

/** What the login pipeline knows about a person when post_auth_hook runs (upstream's auth model). */
export interface AuthModel {
  name: string;
  /** true or false to set admin; null leaves the user's admin flag as it is. */
  admin: boolean | null;
  /** The identity provider's or directory's groups, which become hub groups with manage_groups. */
  groups?: string[];
  /** Kept encrypted as the user's auth_state with enable_auth_state. */
  auth_state?: Record<string, unknown> | null;
}

/**
 * The authenticator's hooks, written as functions in a `.ts`/`.mjs` config under `authenticator:`.
 * post_auth_hook is JupyterHub's: it runs after the allow rules and admin_users/admin_groups, and may
 * change `admin`, `groups` and `auth_state` (not the name); returning null refuses the login (403).
 */
export interface AuthenticatorHooks {
  post_auth_hook?: (
    auth: AuthModel,
    ctx: { config: Config; log: Logger },
  ) => AuthModel | null | undefined | Promise<AuthModel | null | undefined>;
}

const HOOK_KEYS = ['post_auth_hook'] as const;

/** Splits a config's authenticator hook functions from its data (which is not changed). */
export function takeAuthHooks(
  data: Record<string, unknown>,
  where: string,
): { data: Record<string, unknown>; hooks: AuthenticatorHooks } {
  return takeHooks<AuthenticatorHooks>(data, 'authenticator', HOOK_KEYS, where);
}

export function attachAuthHooks(authenticator: AuthenticatorConfig, hooks: AuthenticatorHooks): void {
  attachHooks(authenticator, hooks);
}

/** The hooks the config with this `authenticator` section was loaded with; none for a config without. */
export function authHooks(authenticator: AuthenticatorConfig): AuthenticatorHooks {
  return hooksOf<AuthenticatorHooks>(authenticator);
}
