import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { throttledMessage } from '../auth/login-throttle.ts';
import { passwordHashFor } from '../auth/passwords.ts';
import { totpEnrollment, type TotpEnrollment } from '../auth/totp.ts';
import { sessionXsrfValid } from '../auth/xsrf.ts';
import { disableTotp, enrollTotp } from '../commands/users/index.ts';
import type { HubContext } from '../context.ts';
import { HubError, loginThrottled } from '../errors/index.ts';
import { loginRedirect, needUsersAdmin, type PageSession, pageCaller, pageContext, pageSession } from './common.ts';
import { field } from './forms.ts';
import { errorPage, renderPage } from './html.ts';

/** How long a secret shown for enrollment may still be confirmed. */
const ENROLL_MAX_AGE_MS = 30 * 60 * 1000;

interface Offer {
  user: string;
  secret: string;
  issued: number;
}

/**
 * The secret being enrolled travels in the form, sealed with the hub's key and bound to the user and a
 * time, so the hub keeps no state between showing it and its confirmation.
 */
function openOffer(ctx: HubContext, sealed: string | undefined, user: string): string | null {
  if (!sealed) return null;
  try {
    const o = ctx.crypt.decrypt(sealed) as Offer;
    return o.user === user && Date.now() - o.issued < ENROLL_MAX_AGE_MS && typeof o.secret === 'string'
      ? o.secret
      : null;
  } catch {
    return null;
  }
}

async function show(
  ctx: HubContext,
  req: FastifyRequest,
  reply: FastifyReply,
  s: PageSession,
  status: number,
  msg: { notice?: string; error?: string; offer?: TotpEnrollment & { sealed: string } } = {},
): Promise<FastifyReply> {
  const enabled = (await passwordHashFor(ctx.k, s.user.name))?.otpSecret != null;
  let offer = msg.offer ?? null;
  if (!enabled && !offer) {
    const t = totpEnrollment(ctx.config.bind_url, s.user.name);
    const sealed = ctx.crypt.encrypt({ user: s.user.name, secret: t.secret, issued: Date.now() } satisfies Offer);
    offer = { ...t, sealed };
  }
  const pc = await pageContext(ctx, req, reply, s, '2fa');
  return renderPage(reply, status, 'two-factor.html', pc, {
    action: `${ctx.baseUrl}hub/2fa`,
    enabled,
    totp: enabled ? null : offer,
    xsrf: s.xsrf,
    notice: msg.notice ?? '',
    error: msg.error ?? '',
  });
}

/**
 * `/hub/2fa` (authenticator.allow_2fa): the signed-in user turns the second factor on (shown a new secret,
 * confirmed with a code from the app) or off (with a current code). Wrong codes count in the login
 * throttle, so the page is no faster a way to guess them than the login form.
 */
export function registerTwoFactorPage(app: FastifyInstance<any, any, any, any, any>, ctx: HubContext): void {
  const a = ctx.config.authenticator;
  if (a.class !== 'password' || !a.allow_2fa) return;
  const path = `${ctx.baseUrl}hub/2fa`;
  const hide = { schema: { hide: true } };

  app.get(path, hide, async (req, reply) => {
    const s = await pageSession(ctx, req);
    return s ? show(ctx, req, reply, s, 200) : loginRedirect(ctx, req, reply);
  });

  app.post(path, hide, async (req, reply) => {
    const s = await pageSession(ctx, req);
    if (!s) return errorPage(reply, ctx.baseUrl, 403, 'Forbidden', 'Not signed in.');
    if (!sessionXsrfValid(ctx, s.user, s.sessionId, field(req.body, '_xsrf')))
      return show(ctx, req, reply, s, 403, { error: 'The form was not sent by this page (XSRF check failed).' });
    const name = s.user.name;
    const code = field(req.body, 'code') ?? '';
    const sealed = field(req.body, 'offer');
    const secret = openOffer(ctx, sealed, name);
    const throttle = ctx.loginThrottle;
    try {
      const wait = throttle.retryAfter(name, req.ip);
      if (wait > 0) throw loginThrottled(throttledMessage(wait), wait);
      const caller = await pageCaller(ctx, req, s);
      if (field(req.body, 'action') === 'disable') {
        await disableTotp(ctx, caller, { name, code });
        return show(ctx, req, reply, s, 200, { notice: 'Two-factor authentication is off.' });
      }
      // Not a code guess (a stale or altered form): not counted as a failure.
      if (secret === null) return show(ctx, req, reply, s, 400, { error: 'This setup form has expired; start again.' });
      await enrollTotp(ctx, caller, { name, secret, code });
    } catch (err) {
      if (!(err instanceof HubError) || err.status >= 500) throw err;
      if (err.reason === 'invalid_request') throttle.failure(name, req.ip);
      reply.headers(err.headers);
      const offer =
        secret !== null && sealed ? { ...totpEnrollment(ctx.config.bind_url, name, secret), sealed } : undefined;
      return show(ctx, req, reply, s, err.status, { error: err.message, offer });
    }
    throttle.success(name);
    return show(ctx, req, reply, s, 200, {
      notice: 'Two-factor authentication is on: signing in now asks for a code.',
    });
  });

  // Admins turn it off for someone who lost their device (no code: they have none).
  const forUser = async (req: FastifyRequest, reply: FastifyReply) => {
    const admin = await needUsersAdmin(ctx, req, reply);
    if (!('caller' in admin)) return admin;
    const name = (req.params as { name: string }).name;
    if (!(await passwordHashFor(ctx.k, name)))
      return errorPage(reply, ctx.baseUrl, 404, 'Not found', `No such user: ${name}`, admin.s.user.name);
    const page = (status: number, msg: { notice?: string; error?: string }) =>
      adminPage(ctx, req, reply, admin.s, name, status, msg);
    if (req.method === 'GET') return page(200, {});
    if (!sessionXsrfValid(ctx, admin.s.user, admin.s.sessionId, field(req.body, '_xsrf')))
      return page(403, { error: 'The form was not sent by this page (XSRF check failed).' });
    await disableTotp(ctx, admin.caller, { name });
    return page(200, { notice: `Two-factor authentication is off for ${name}.` });
  };
  app.get(`${path}/:name`, hide, forUser);
  app.post(`${path}/:name`, hide, forUser);
}

async function adminPage(
  ctx: HubContext,
  req: FastifyRequest,
  reply: FastifyReply,
  s: PageSession,
  target: string,
  status: number,
  msg: { notice?: string; error?: string },
): Promise<FastifyReply> {
  const enabled = (await passwordHashFor(ctx.k, target))?.otpSecret != null;
  const pc = await pageContext(ctx, req, reply, s, '2fa');
  return renderPage(reply, status, 'two-factor.html', pc, {
    action: `${ctx.baseUrl}hub/2fa/${encodeURIComponent(target)}`,
    target,
    enabled,
    xsrf: s.xsrf,
    notice: msg.notice ?? '',
    error: msg.error ?? '',
  });
}
