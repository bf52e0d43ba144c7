import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sessionXsrfValid } from '../auth/xsrf.ts';
import { approveSignup, discardSignup } from '../commands/users/index.ts';
import type { HubContext } from '../context.ts';
import { HubError } from '../errors/index.ts';
import { pendingSignups } from '../repo/signup-requests.ts';
import { needUsersAdmin, type PageSession, pageContext } from './common.ts';
import { field } from './forms.ts';
import { renderPage } from './html.ts';

async function listPage(
  ctx: HubContext,
  req: FastifyRequest,
  reply: FastifyReply,
  s: PageSession,
  status: number,
  message: { notice?: string; error?: string } = {},
): Promise<FastifyReply> {
  const pc = await pageContext(ctx, req, reply, s, 'authorize');
  return renderPage(reply, status, 'authorize.html', pc, {
    pending: await pendingSignups(ctx.k),
    xsrf: s.xsrf,
    notice: message.notice ?? '',
    error: message.error ?? '',
  });
}

/**
 * `/hub/authorize`: the sign-ups waiting for approval (authenticator.open_signup off), each approved or
 * discarded by an XSRF-protected POST (`/hub/authorize/<name>`, `/hub/discard/<name>`, upstream's paths).
 */
export function registerAuthorizePages(app: FastifyInstance<any, any, any, any, any>, ctx: HubContext): void {
  const a = ctx.config.authenticator;
  if (a.class !== 'password' || !a.enable_signup) return;
  const base = `${ctx.baseUrl}hub/`;
  const hide = { schema: { hide: true } };

  app.get(`${base}authorize`, hide, async (req, reply) => {
    const admin = await needUsersAdmin(ctx, req, reply);
    return 'caller' in admin ? listPage(ctx, req, reply, admin.s, 200) : admin;
  });

  const decide = (verb: 'approve' | 'discard') => async (req: FastifyRequest, reply: FastifyReply) => {
    const admin = await needUsersAdmin(ctx, req, reply);
    if (!('caller' in admin)) return admin;
    const { s, caller } = admin;
    if (!sessionXsrfValid(ctx, s.user, s.sessionId, field(req.body, '_xsrf')))
      return listPage(ctx, req, reply, s, 403, { error: 'The form was not sent by this page (XSRF check failed).' });
    const name = (req.params as { name: string }).name;
    try {
      if (verb === 'approve') await approveSignup(ctx, caller, { name });
      else await discardSignup(ctx, caller, { name });
    } catch (err) {
      if (!(err instanceof HubError) || err.status >= 500) throw err;
      return listPage(ctx, req, reply, s, err.status, { error: err.message });
    }
    const done = verb === 'approve' ? `${name} may now sign in.` : `The sign-up of ${name} was discarded.`;
    return listPage(ctx, req, reply, s, 200, { notice: done });
  };
  app.post(`${base}authorize/:name`, hide, decide('approve'));
  app.post(`${base}discard/:name`, hide, decide('discard'));
}
