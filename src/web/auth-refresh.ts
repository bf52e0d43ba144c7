import type { FastifyInstance } from 'fastify';
import { originOf, userActor } from '../audit/index.ts';
import { cookieValues, endSession, LOGIN_COOKIE, sessionUser } from '../auth/session.ts';
import { refreshAuth } from '../commands/users/index.ts';
import type { HubContext } from '../context.ts';

/**
 * auth_refresh_age: a request of a logged-in browser whose login was confirmed with the identity
 * provider longer ago than that is held until the provider is asked again (upstream's refresh_auth
 * in get_current_user). A refusal ends the user's sessions before the request is authenticated, so it
 * goes on as anonymous: the login page for a page, a 403 for the API. Registered before the API's
 * authentication hook, and only where there is something to ask with (oauth with auth_state).
 */
export function registerAuthRefresh(app: FastifyInstance<any, any, any, any, any>, ctx: HubContext): void {
  const a = ctx.config.authenticator;
  if (a.class !== 'oauth' || !a.enable_auth_state || a.auth_refresh_age <= 0) return;
  app.addHook('onRequest', async (req, reply) => {
    if (cookieValues(req, LOGIN_COOKIE).length === 0) return;
    const user = await sessionUser(ctx, req);
    if (!user || !ctx.authRefresh.isStale(user.id)) return;
    const caller = { origin: originOf(req, userActor(user.name)), principal: null };
    if (!(await refreshAuth(ctx, caller, { user }))) await endSession(ctx, req, reply);
  });
}
