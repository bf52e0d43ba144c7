import { type AuthModel, authHooks } from '../../config/auth-hooks.ts';
import { authHookFailed } from '../../errors/index.ts';
import type { CommandDeps } from '../deps.ts';

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The hook's answer checked: an auth model for the same name, or null (refused). */
function checked(before: AuthModel, out: unknown): AuthModel | null {
  if (out === null) return null;
  if (out === undefined)
    throw authHookFailed('it returned nothing; return the auth model, or null to refuse the login');
  if (!isRecord(out)) throw authHookFailed('it must return the auth model or null');
  if (out.name !== before.name) throw authHookFailed(`it may not change the name (${before.name})`);
  const { admin, groups, auth_state } = out;
  if (admin !== null && admin !== undefined && typeof admin !== 'boolean')
    throw authHookFailed('admin must be true, false or null');
  if (groups !== undefined && !(Array.isArray(groups) && groups.every((g) => typeof g === 'string')))
    throw authHookFailed('groups must be a list of strings');
  if (auth_state !== undefined && auth_state !== null && !isRecord(auth_state))
    throw authHookFailed('auth_state must be a mapping or null');
  return {
    name: before.name,
    admin: admin ?? null,
    ...(groups === undefined ? {} : { groups: groups as string[] }),
    ...(auth_state === undefined ? {} : { auth_state: auth_state as Record<string, unknown> | null }),
  };
}

/**
 * JupyterHub's post_auth_hook (a function in a `.ts`/`.mjs` config), run on a copy of the auth model
 * once the allow rules and admin_users/admin_groups have spoken: its answer replaces the model, null
 * refuses the login. A hook that throws fails the login with its message.
 */
export async function runPostAuthHook(deps: CommandDeps, auth: AuthModel): Promise<AuthModel | null> {
  const hook = authHooks(deps.config.authenticator).post_auth_hook;
  if (!hook) return auth;
  let out: unknown;
  try {
    out = await hook(structuredClone(auth), { config: deps.config, log: deps.log });
  } catch (err) {
    deps.log.error({ user: auth.name, err: (err as Error).message }, 'post_auth_hook failed');
    throw authHookFailed((err as Error).message);
  }
  return checked(auth, out);
}
