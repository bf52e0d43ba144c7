import type { FastifyInstance } from 'fastify';
import { originOf, userActor } from '../audit/index.ts';
import { cookieValues, endSession, LOGIN_COOKIE, sessionUser } from '../auth/session.ts';
import { refreshAuth } from '../commands/users/index.ts';
import { isOAuthClass } from '../config/schema-oauth.ts';
import type { HubContext } from '../context.ts';
import { findUserById } from '../repo/users.ts';

/** Only oauth (or a preset) with auth_state has something to ask the provider with; elsewhere no hook is added at all. */
const refreshes = (ctx: HubContext) => {
  const a = ctx.config.authenticator;
  return isOAuthClass(a.class) && a.enable_auth_state && a.auth_refresh_age > 0;
};

/**
 * auth_refresh_age: a request of a logged-in browser whose login was confirmed with the identity
 * provider longer ago than that is held until the provider is asked again (upstream's refresh_auth
 * in get_current_user). A refusal ends the user's sessions before the request is authenticated, so it
 * goes on as anonymous: the login page for a page, a 403 for the API. Registered before the API's
 * authentication hook.
 */
export function registerAuthRefresh(app: FastifyInstance<any, any, any, any, any>, ctx: HubContext): void {
  if (!refreshes(ctx)) return;
  app.addHook('onRequest', async (req, reply) => {
    if (cookieValues(req, LOGIN_COOKIE).length === 0) return;
    const user = await sessionUser(ctx, req);
    if (!user || !ctx.authRefresh.isStale(user.id)) return;
    const caller = { origin: originOf(req, userActor(user.name)), principal: null };
    if (!(await refreshAuth(ctx, caller, { user }))) await endSession(ctx, req, reply);
  });
}

/**
 * The same for API requests with a user's token (upstream refreshes whoever get_current_user found):
 * a server asking /hub/api/user with its token gets the renewed access token. Registered after the
 * API's authentication hook. A login that is fresh costs one map lookup, nothing more. A user without
 * auth_state (made by the API, never logged in through the provider) has nothing to refresh with and
 * keeps using their tokens, as upstream's non-strict refresh does; a provider that refuses makes the
 * request anonymous (403, reason auth_expired), and ends the user's logins, as a browser's refusal does.
 */
export function registerTokenAuthRefresh(app: FastifyInstance<any, any, any, any, any>, ctx: HubContext): void {
  if (!refreshes(ctx)) return;
  app.addHook('onRequest', async (req) => {
    const p = req.principal;
    if (!p?.token || p.kind !== 'user' || !ctx.authRefresh.isStale(p.id)) return;
    // The principal may be cached from before the user's last login: the row as it is now.
    const user = await findUserById(ctx.k, p.id);
    if (!user?.auth_state) return;
    const caller = { origin: originOf(req, userActor(user.name)), principal: p };
    if (await refreshAuth(ctx, caller, { user })) return;
    req.principal = null;
    req.authFailure = 'auth_expired';
  });
}
