import { STATUS_CODES } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { originOf, userActor, userTarget } from '../audit/index.ts';
import { setCookie } from '../auth/session.ts';
import {
  admit,
  authStateOf,
  beginLogin,
  type CookieScope,
  clearFlowCookie,
  finishLogin,
  flowCookie,
  groupsOf,
  readFlow,
  usernameOf,
} from '../authenticators/oauth/index.ts';
import { existingUserAllowed, recordProviderLogin } from '../commands/users/index.ts';
import { presetEnrich } from '../authenticators/oauth/presets/index.ts';
import { loginName } from '../authenticators/username-map.ts';
import { isOAuthClass } from '../config/schema-oauth.ts';
import type { HubContext } from '../context.ts';
import type { UserRow } from '../db/index.ts';
import { HubError, loginNotAllowed, oauthLoginFailed } from '../errors/index.ts';
import { pageSession } from './common.ts';
import { errorPage } from './html.ts';
import { completeLogin } from './login.ts';
import { landingUrl, safeNextUrl } from './next-url.ts';

function cookieScope(ctx: HubContext): CookieScope {
  const s = ctx.sessions;
  return { secret: s.secret, path: s.hubPath, secure: s.secure };
}

/** oauth_callback_url, or the hub's own callback under its public URL (never guessed from the Host header). */
export function callbackUrl(ctx: HubContext): string {
  return ctx.config.authenticator.oauth.oauth_callback_url ?? new URL('hub/oauth_callback', ctx.config.bind_url).href;
}

/**
 * `/hub/oauth_login` sends the browser to the identity provider; `/hub/oauth_callback` is where it comes
 * back, and where the person is logged in exactly as the password form does (completeLogin). Registered
 * with authenticator.class oauth and its presets.
 */
export function registerOAuthLogin(app: FastifyInstance<any, any, any, any, any>, ctx: HubContext): void {
  const a = ctx.config.authenticator;
  if (!isOAuthClass(a.class)) return;
  const enrich = presetEnrich(a);
  const base = ctx.baseUrl;
  const hide = { schema: { hide: true } };

  app.get(`${base}hub/oauth_login`, hide, async (req, reply) => {
    const next = safeNextUrl((req.query as Record<string, unknown>).next, base, req);
    const s = await pageSession(ctx, req);
    if (s) return reply.redirect(next ?? (await landingUrl(ctx, req, s.user)), 302);
    const { url, flow } = await beginLogin(a.oauth, callbackUrl(ctx), next);
    setCookie(reply, flowCookie(cookieScope(ctx), flow));
    return reply.header('Cache-Control', 'no-store').redirect(url.href, 302);
  });

  app.get(`${base}hub/oauth_callback`, hide, async (req: FastifyRequest, reply: FastifyReply) => {
    const scope = cookieScope(ctx);
    // One use only: whatever happens, this browser's flow is over.
    setCookie(reply, clearFlowCookie(scope));
    reply.header('Cache-Control', 'no-store');
    const query = new URLSearchParams(req.url.split('?')[1] ?? '');
    const flow = readFlow(scope, req.headers.cookie);
    let name: string | null = null;
    let why: string | null = null;
    let user: UserRow;
    try {
      const who = await finishLogin(a.oauth, callbackUrl(ctx), query, flow, enrich);
      const claimed = usernameOf(a.oauth.username_claim, who);
      name = claimed === null ? null : loginName(a, claimed);
      if (!name) throw oauthLoginFailed(`the provider's answer has no "${a.oauth.username_claim}" claim`);
      const groups = groupsOf(a.oauth.auth_state_groups_key, who);
      const existing = await existingUserAllowed(ctx, name);
      const verdict = admit(a, name, groups, who.preset?.membership, existing);
      if (!verdict.allowed) {
        why = verdict.why;
        throw loginNotAllowed(a.oauth.custom_403_message);
      }
      user = await completeLogin(ctx, req, reply, name, {
        admin: verdict.admin,
        allowed: true,
        groups,
        auth_state: authStateOf(who),
      });
      const caller = { origin: originOf(req, userActor(user.name)), principal: null };
      await recordProviderLogin(ctx, caller, { user, login: who });
    } catch (err) {
      if (!(err instanceof HubError)) throw err;
      req.log.warn({ user: name?.slice(0, 64), reason: err.reason, why: why ?? err.message }, 'oauth login refused');
      ctx.audit.record({
        ...originOf(req),
        action: 'login.failure',
        target: name ? userTarget(name.slice(0, 64)) : null,
        outcome: err.status >= 500 ? 'failure' : 'denied',
        reason: why ?? err.message,
      });
      if (!req.headers.accept?.includes('text/html')) throw err;
      // A browser gets the refusal on the hub's own page, not the error handler's bare one.
      return errorPage(reply, base, err.status, STATUS_CODES[err.status] ?? 'Error', err.message);
    }
    const next = safeNextUrl(flow?.next, base) ?? (await landingUrl(ctx, req, user, { keepQuery: false }));
    return reply.redirect(next, 302);
  });
}
