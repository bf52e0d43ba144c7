import type { FastifyRequest } from 'fastify';
import { ConfigError } from './errors.ts';
import { attachHooks, hooksOf } from './hooks.ts';
import type { Config } from './schema.ts';

/**
 * The hub's own hooks, written as top-level functions in a `.ts`/`.mjs` config (JupyterHub's
 * `c.JupyterHub.<hook>`).
 */
export interface HubHooks {
  /**
   * Where /hub/user-redirect/<path> sends a signed-in user: called with the path after user-redirect/
   * (no query), the request, the user and the base URL. A URL (or path) it returns is the redirect;
   * null or undefined keeps the usual one (the user's server, started if needed).
   */
  user_redirect_hook?: (
    path: string,
    request: FastifyRequest,
    user: { name: string; admin: boolean },
    baseUrl: string,
  ) => string | null | undefined | Promise<string | null | undefined>;
}

const HOOK_KEYS = ['user_redirect_hook'] as const;

/** Splits a config's top-level hook functions from its data (which is not changed). */
export function takeHubHooks(
  data: Record<string, unknown>,
  where: string,
): { data: Record<string, unknown>; hooks: HubHooks } {
  if (!HOOK_KEYS.some((k) => k in data)) return { data, hooks: {} };
  const rest = { ...data };
  const hooks: Record<string, unknown> = {};
  for (const key of HOOK_KEYS) {
    const fn = rest[key];
    delete rest[key];
    if (fn === undefined || fn === null) continue;
    if (typeof fn !== 'function')
      throw new ConfigError([
        `${key} ${where}: must be a function (hooks can only be set in a .ts, .mjs or .js config)`,
      ]);
    hooks[key] = fn;
  }
  return { data: rest, hooks: hooks as HubHooks };
}

export function attachHubHooks(config: Config, hooks: HubHooks): void {
  attachHooks(config, hooks);
}

/** The top-level hooks the config was loaded with; none for a config without. */
export function hubHooks(config: Config): HubHooks {
  return hooksOf<HubHooks>(config);
}
