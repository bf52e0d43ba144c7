import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { setLoginCookies } from '../auth/session.ts';
import { sessionXsrfValid } from '../auth/xsrf.ts';
import type { Caller } from '../commands/deps.ts';
import { changePassword } from '../commands/users/index.ts';
import type { HubContext } from '../context.ts';
import { HubError, loginThrottled } from '../errors/index.ts';
import { throttledMessage } from '../auth/login-throttle.ts';
import { findUser } from '../repo/users.ts';
import { loginRedirect, needUsersAdmin, type PageSession, pageCaller, pageContext, pageSession } from './common.ts';
import { field } from './forms.ts';
import { errorPage, renderPage } from './html.ts';

interface Outcome {
  status: number;
  notice?: string;
  error?: string;
}

async function form(
  ctx: HubContext,
  req: FastifyRequest,
  reply: FastifyReply,
  s: PageSession,
  target: string | null,
  o: Outcome,
): Promise<FastifyReply> {
  const pc = await pageContext(ctx, req, reply, s, 'change-password');
  const path = `${ctx.baseUrl}hub/change-password${target === null ? '' : `/${encodeURIComponent(target)}`}`;
  return renderPage(reply, o.status, 'change-password.html', pc, {
    action: path,
    target,
    xsrf: s.xsrf,
    notice: o.notice ?? '',
    error: o.error ?? '',
    minimum_password_length: ctx.config.authenticator.minimum_password_length,
  });
}

/**
 * Sets the password through the command, after the form's own checks. The browser that changed its own
 * password gets a new login (the command ended every session of the user) and is sent back here.
 */
async function submit(
  ctx: HubContext,
  req: FastifyRequest,
  reply: FastifyReply,
  s: PageSession,
  caller: Caller,
  target: string | null,
): Promise<FastifyReply> {
  const show = (o: Outcome) => form(ctx, req, reply, s, target, o);
  if (!sessionXsrfValid(ctx, s.user, s.sessionId, field(req.body, '_xsrf')))
    return show({ status: 403, error: 'The form was not sent by this page (XSRF check failed). Please try again.' });
  const name = target ?? s.user.name;
  const password = field(req.body, 'new_password') ?? '';
  if (password !== (field(req.body, 'new_password_confirmation') ?? ''))
    return show({ status: 400, error: 'The new password and its confirmation differ.' });
  // The current password is guessed here as on the login form: the same throttle counts both.
  const throttle = ctx.loginThrottle;
  const currentPassword = target === null ? (field(req.body, 'old_password') ?? '') : undefined;
  try {
    if (currentPassword !== undefined) {
      const wait = throttle.retryAfter(name, req.ip);
      if (wait > 0) throw loginThrottled(throttledMessage(wait), wait);
    }
    await changePassword(ctx, caller, { name, password, currentPassword });
  } catch (err) {
    if (!(err instanceof HubError) || err.status >= 500) throw err;
    if (err.reason === 'wrong_password') throttle.failure(name, req.ip);
    reply.headers(err.headers);
    return show({ status: err.status, error: err.message });
  }
  req.log.info({ user: name, by: s.user.name }, 'password changed');
  if (name !== s.user.name) return show({ status: 200, notice: `The password of ${name} was changed.` });
  throttle.success(name);
  const user = await findUser(ctx.k, name);
  if (user) setLoginCookies(ctx, reply, user);
  return reply.redirect(`${ctx.baseUrl}hub/change-password?changed=1`, 303);
}

/**
 * `/hub/change-password` (the signed-in user, current password required) and
 * `/hub/change-password/<name>` (admins, admin:users: no current password), upstream's paths.
 */
export function registerChangePasswordPages(app: FastifyInstance<any, any, any, any, any>, ctx: HubContext): void {
  if (ctx.config.authenticator.class !== 'password') return;
  const path = `${ctx.baseUrl}hub/change-password`;
  const hide = { schema: { hide: true } };

  app.get(path, hide, async (req, reply) => {
    const s = await pageSession(ctx, req);
    if (!s) return loginRedirect(ctx, req, reply);
    const changed = (req.query as Record<string, unknown>).changed === '1';
    return form(ctx, req, reply, s, null, { status: 200, notice: changed ? 'Your password was changed.' : '' });
  });

  app.post(path, hide, async (req, reply) => {
    const s = await pageSession(ctx, req);
    if (!s) return errorPage(reply, ctx.baseUrl, 403, 'Forbidden', 'Not signed in.');
    return submit(ctx, req, reply, s, await pageCaller(ctx, req, s), null);
  });

  const forUser = async (req: FastifyRequest, reply: FastifyReply) => {
    const admin = await needUsersAdmin(ctx, req, reply);
    if (!('caller' in admin)) return admin;
    const name = (req.params as { name: string }).name;
    if (!(await findUser(ctx.k, name)))
      return errorPage(reply, ctx.baseUrl, 404, 'Not found', `No such user: ${name}`, admin.s.user.name);
    if (req.method === 'GET') return form(ctx, req, reply, admin.s, name, { status: 200 });
    return submit(ctx, req, reply, admin.s, admin.caller, name);
  };
  app.get(`${path}/:name`, hide, forUser);
  app.post(`${path}/:name`, hide, forUser);
}
