import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authenticatePassword } from '../auth/authenticators.ts';
import { originOf, userActor, userTarget } from '../audit/index.ts';
import { endSession, setLoginCookies } from '../auth/session.ts';
import { anonymousXsrfValid, setXsrfCookie, xsrfTokenFor } from '../auth/xsrf.ts';
import type { HubContext } from '../context.ts';
import { SYSTEM_CALLER } from '../commands/deps.ts';
import { admitUser } from '../commands/users/index.ts';
import { HubError } from '../errors/index.ts';
import { pageSession } from './common.ts';
import { field } from './forms.ts';
import { renderPage } from './html.ts';
import { safeNextUrl } from './next-url.ts';

const INVALID_LOGIN = 'Invalid username or password';

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
  const action = `${ctx.baseUrl}hub/login${next ? `?next=${encodeURIComponent(next)}` : ''}`;
  return renderPage(
    reply,
    status,
    'login.html',
    { baseUrl: ctx.baseUrl },
    {
      login_url: action,
      login_error: opts.error ?? '',
      username: opts.username ?? '',
      xsrf: token,
      password_required: ctx.config.authenticator.class === 'password' || ctx.config.authenticator.password !== null,
      signup_url:
        ctx.config.authenticator.class === 'password' && ctx.config.authenticator.enable_signup
          ? `${ctx.baseUrl}hub/signup`
          : '',
    },
  );
}

export function registerLoginPages(app: FastifyInstance<any, any, any, any, any>, ctx: HubContext): void {
  const base = ctx.baseUrl;
  const home = `${base}hub/home`;
  const hide = { schema: { hide: true } };
  const nextOr = (req: FastifyRequest, fallback: string) =>
    safeNextUrl((req.query as Record<string, unknown>).next, base, req) ?? fallback;

  // JupyterHub's prefix redirect: the bare public URL is the hub's.
  if (base !== '/') app.get(base.slice(0, -1), hide, async (_req, reply) => reply.redirect(`${base}hub/`, 302));
  app.get(base, hide, async (_req, reply) => reply.redirect(`${base}hub/`, 302));

  app.get(`${base}hub/`, hide, async (req, reply) => {
    const s = await pageSession(ctx, req);
    return reply.redirect(s ? home : `${base}hub/login`, 302);
  });

  app.get(`${base}hub/login`, hide, async (req, reply) => {
    if (await pageSession(ctx, req)) return reply.redirect(nextOr(req, home), 302);
    const username = (req.query as Record<string, unknown>).username;
    return loginForm(ctx, req, reply, 200, { username: typeof username === 'string' ? username : '' });
  });

  app.post(`${base}hub/login`, hide, async (req, reply) => {
    const username = field(req.body, 'username')?.trim() ?? '';
    if (!anonymousXsrfValid(ctx, req, field(req.body, '_xsrf'))) {
      req.log.warn({ path: req.url.split('?')[0] }, 'login form refused: XSRF check failed');
      return loginForm(ctx, req, reply, 403, {
        error: 'This sign-in form has expired or was not sent by this site (XSRF check failed). Please try again.',
        username,
      });
    }
    let name: string | null;
    try {
      name = await authenticatePassword(ctx, { username, password: field(req.body, 'password') ?? '' }, { ip: req.ip });
    } catch (err) {
      // Throttled after repeated failures: the form again, with the wait, as a 429 with Retry-After.
      if (!(err instanceof HubError) || err.status !== 429) throw err;
      reply.headers(err.headers);
      ctx.audit.record({
        ...originOf(req),
        action: 'login.failure',
        target: userTarget(username.slice(0, 64)),
        outcome: 'denied',
        reason: 'too many failed logins',
      });
      return loginForm(ctx, req, reply, 429, { error: err.message, username });
    }
    if (!name) {
      req.log.warn({ user: username.slice(0, 64) }, 'failed login');
      ctx.audit.record({
        ...originOf(req),
        action: 'login.failure',
        target: userTarget(username.slice(0, 64)),
        outcome: 'failure',
        reason: 'invalid username or password',
      });
      return loginForm(ctx, req, reply, 403, { error: INVALID_LOGIN, username });
    }
    // The hub admits the user (creating them at first login), as upstream: not the anonymous browser.
    const user = await admitUser(ctx, SYSTEM_CALLER, { name });
    setLoginCookies(ctx, reply, user);
    ctx.activity.userActive(user.id);
    req.log.info({ user: user.name }, 'user logged in');
    ctx.audit.record({
      ...originOf(req, userActor(user.name)),
      action: 'login.success',
      target: userTarget(user.name),
    });
    return reply.redirect(nextOr(req, home), 302);
  });

  // GET as upstream (a link in every page's header); POST for forms that prefer it.
  const logout = async (req: FastifyRequest, reply: FastifyReply) => {
    const { user, revoked } = await endSession(ctx, req, reply);
    if (user) req.log.info({ user: user.name, revoked_tokens: revoked }, 'user logged out');
    if (user)
      ctx.audit.record({
        ...originOf(req, userActor(user.name)),
        action: 'logout',
        target: userTarget(user.name),
        reason: revoked ? `${revoked} session tokens revoked` : null,
      });
    return reply.header('Cache-Control', 'no-store').redirect(`${base}hub/login`, 302);
  };
  app.get(`${base}hub/logout`, hide, logout);
  app.post(`${base}hub/logout`, hide, logout);
}
