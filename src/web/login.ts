import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authenticateLogin, type PasswordLogin } from '../auth/authenticators.ts';
import { logoutUrl } from '../authenticators/oauth/index.ts';
import { isOAuthClass } from '../config/schema-oauth.ts';
import { originOf, userActor, userTarget } from '../audit/index.ts';
import { endSession, setLoginCookies } from '../auth/session.ts';
import { anonymousXsrfValid, setXsrfCookie, xsrfTokenFor } from '../auth/xsrf.ts';
import type { HubContext } from '../context.ts';
import type { UserRow } from '../db/index.ts';
import { SYSTEM_CALLER } from '../commands/deps.ts';
import { syncGroupsFromIdp } from '../commands/groups/index.ts';
import { admitUser, loadAuthState, saveAuthState, stopServersOf } from '../commands/users/index.ts';
import { HubError } from '../errors/index.ts';
import { pageSession } from './common.ts';
import { field } from './forms.ts';
import { renderPage } from './html.ts';
import { landingUrl, safeNextUrl } from './next-url.ts';

const INVALID_LOGIN = 'Invalid username or password';

/**
 * Logs in a name an authenticator vouched for: the hub admits the user (the admitUser command: lists,
 * admin, post_auth_hook, creation at first login), then a new session and login cookie, and the audit's
 * login.success. Every way of logging in (the password form, an identity provider's callback) ends here.
 * `admin` is an identity provider's verdict (admin_groups), which may also demote; `groups` (a directory's
 * or provider's) become the user's hub groups with manage_groups, and `auth_state` is kept with
 * enable_auth_state, both as post_auth_hook left them.
 */
export async function completeLogin(
  ctx: HubContext,
  req: FastifyRequest,
  reply: FastifyReply,
  name: string,
  opts: { admin?: boolean; allowed?: true; groups?: string[]; auth_state?: Record<string, unknown> } = {},
): Promise<UserRow> {
  // The hub admits the user, as upstream: not the anonymous browser.
  const { user, groups, auth_state } = await admitUser(ctx, SYSTEM_CALLER, { name, ...opts });
  if (groups && ctx.config.authenticator.manage_groups)
    await syncGroupsFromIdp(ctx, { origin: originOf(req, userActor(user.name)), principal: null }, { user, groups });
  if (auth_state !== undefined && ctx.config.authenticator.enable_auth_state)
    await saveAuthState(ctx, user, auth_state);
  setLoginCookies(ctx, reply, user);
  ctx.metrics.observeLogin('success', reply);
  ctx.activity.userActive(user.id);
  req.log.info({ user: user.name }, 'user logged in');
  ctx.audit.record({
    ...originOf(req, userActor(user.name)),
    action: 'login.success',
    target: userTarget(user.name),
  });
  return user;
}

function loginForm(
  ctx: HubContext,
  req: FastifyRequest,
  reply: FastifyReply,
  status: number,
  opts: { error?: string; username?: string },
): FastifyReply {
  const token = xsrfTokenFor(ctx, req, null);
  setXsrfCookie(ctx, reply, token, true);
  const next = safeNextUrl((req.query as Record<string, unknown>).next, ctx.baseUrl, req);
  const nextQuery = next ? `?next=${encodeURIComponent(next)}` : '';
  const action = `${ctx.baseUrl}hub/login${nextQuery}`;
  const oauth = isOAuthClass(ctx.config.authenticator.class);
  return renderPage(
    reply,
    status,
    'login.html',
    { baseUrl: ctx.baseUrl },
    {
      login_url: action,
      // As upstream's template: with login_service set, a button to the provider replaces the form.
      login_service: oauth ? ctx.config.authenticator.oauth.login_service : '',
      authenticator_login_url: oauth ? `${ctx.baseUrl}hub/oauth_login${nextQuery}` : '',
      login_error: opts.error ?? '',
      username: opts.username ?? '',
      xsrf: token,
      two_factor_auth: ctx.config.authenticator.class === 'password' && ctx.config.authenticator.allow_2fa,
      password_required:
        ['password', 'ldap'].includes(ctx.config.authenticator.class) || ctx.config.authenticator.password !== null,
      signup_url:
        ctx.config.authenticator.class === 'password' && ctx.config.authenticator.enable_signup
          ? `${ctx.baseUrl}hub/signup`
          : '',
    },
  );
}

export function registerLoginPages(app: FastifyInstance<any, any, any, any, any>, ctx: HubContext): void {
  const base = ctx.baseUrl;
  const hide = { schema: { hide: true } };
  const nextOrLanding = async (req: FastifyRequest, user: UserRow) =>
    safeNextUrl((req.query as Record<string, unknown>).next, base, req) ?? (await landingUrl(ctx, req, user));

  // JupyterHub's prefix redirect: the bare public URL is the hub's.
  app.get(base, hide, async (_req, reply) => reply.redirect(`${base}hub/`, 302));

  // Upstream's RootHandler: default_url for everyone, else the landing (or login, coming back here).
  app.get(`${base}hub/`, hide, async (req, reply) => {
    if (ctx.config.default_url) return reply.redirect(ctx.config.default_url, 302);
    const s = await pageSession(ctx, req);
    if (!s) return reply.redirect(`${base}hub/login?next=${encodeURIComponent(req.url)}`, 302);
    return reply.redirect(await nextOrLanding(req, s.user), 302);
  });

  app.get(`${base}hub/login`, hide, async (req, reply) => {
    const s = await pageSession(ctx, req);
    if (s) return reply.redirect(await nextOrLanding(req, s.user), 302);
    if (isOAuthClass(ctx.config.authenticator.class) && ctx.config.authenticator.auto_login) {
      const next = safeNextUrl((req.query as Record<string, unknown>).next, base, req);
      return reply.redirect(`${base}hub/oauth_login${next ? `?next=${encodeURIComponent(next)}` : ''}`, 302);
    }
    const username = (req.query as Record<string, unknown>).username;
    return loginForm(ctx, req, reply, 200, { username: typeof username === 'string' ? username : '' });
  });

  app.post(`${base}hub/login`, hide, async (req, reply) => {
    const username = field(req.body, 'username')?.trim() ?? '';
    const failed = (who: string, outcome: 'denied' | 'failure', reason: string) =>
      ctx.audit.record({
        ...originOf(req),
        action: 'login.failure',
        target: userTarget(who.slice(0, 64)),
        outcome,
        reason,
      });
    if (!anonymousXsrfValid(ctx, req, field(req.body, '_xsrf'))) {
      req.log.warn({ path: req.url.split('?')[0] }, 'login form refused: XSRF check failed');
      return loginForm(ctx, req, reply, 403, {
        error: 'This sign-in form has expired or was not sent by this site (XSRF check failed). Please try again.',
        username,
      });
    }
    let login: PasswordLogin | null;
    try {
      const password = field(req.body, 'password') ?? '';
      login = await authenticateLogin(ctx, { username, password, '2fa': field(req.body, '2fa') }, { ip: req.ip });
    } catch (err) {
      // The right password of a sign-up an admin has not approved yet: say so, on the form.
      if (err instanceof HubError && err.reason === 'signup_pending') {
        failed(username, 'denied', 'sign-up waiting for approval');
        return loginForm(ctx, req, reply, 403, { error: err.message, username });
      }
      // Throttled after repeated failures: the form again, with the wait, as a 429 with Retry-After.
      if (!(err instanceof HubError) || err.status !== 429) throw err;
      reply.headers(err.headers);
      failed(username, 'denied', 'too many failed logins');
      return loginForm(ctx, req, reply, 429, { error: err.message, username });
    }
    if (!login) {
      req.log.warn({ user: username.slice(0, 64) }, 'failed login');
      failed(username, 'failure', 'invalid username or password');
      ctx.metrics.observeLogin('failure', reply);
      return loginForm(ctx, req, reply, 403, { error: INVALID_LOGIN, username });
    }
    const { name, ...admission } = login;
    let user: UserRow;
    try {
      user = await completeLogin(ctx, req, reply, name, admission);
    } catch (err) {
      if (!(err instanceof HubError)) throw err;
      failed(name, err.status >= 500 ? 'failure' : 'denied', err.message);
      // Refused after the password was right (post_auth_hook): the form again, saying so.
      if (err.status !== 403) throw err;
      return loginForm(ctx, req, reply, 403, { error: err.message, username });
    }
    return reply.redirect(await nextOrLanding(req, user), 302);
  });

  // GET as upstream (a link in every page's header); POST for forms that prefer it.
  const logout = async (req: FastifyRequest, reply: FastifyReply) => {
    const { user, revoked } = await endSession(ctx, req, reply);
    if (user) req.log.info({ user: user.name, revoked_tokens: revoked }, 'user logged out');
    // Upstream's shutdown_on_logout: the servers go with the session (waiting as a stop request does).
    if (user && ctx.config.shutdown_on_logout) {
      const outcome = await stopServersOf(ctx, user.id);
      req.log.info({ user: user.name, outcome }, 'servers stopped at logout');
    }
    if (user)
      ctx.audit.record({
        ...originOf(req, userActor(user.name)),
        action: 'logout',
        target: userTarget(user.name),
        reason: revoked ? `${revoked} session tokens revoked` : null,
      });
    // With an identity provider, end its session too (RP-initiated logout) or go where the admin said.
    const a = ctx.config.authenticator;
    const loginPage = new URL('hub/login', ctx.config.bind_url).href;
    const state = isOAuthClass(a.class) && user ? await loadAuthState(ctx, user) : null;
    const idToken = typeof state?.id_token === 'string' ? state.id_token : null;
    const target = isOAuthClass(a.class) ? await logoutUrl(a.oauth, loginPage, idToken) : null;
    ctx.metrics.observeLogout(reply);
    return reply.header('Cache-Control', 'no-store').redirect(target ?? `${base}hub/login`, 302);
  };
  app.get(`${base}hub/logout`, hide, logout);
  app.post(`${base}hub/logout`, hide, logout);
}
