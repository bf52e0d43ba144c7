import type { FastifyInstance } from 'fastify';
import type { HubContext } from '../context.ts';
import { loginRedirect, pageContext, pageSession } from './common.ts';
import { errorPage, renderPage } from './html.ts';

/** Users per page in the admin table: small enough to render at once, large enough to rarely page. */
export const ADMIN_PAGE_SIZE = 50;

/**
 * `/hub/admin`: only the frame. Everything on it (users, servers, groups, shutdown) is done by the
 * static/admin*.js modules through the REST API with the session's XSRF token, so the API's own scope checks
 * decide what each action may do; the page only needs `admin-ui` to be shown.
 */
export function registerAdminPage(app: FastifyInstance<any, any, any, any, any>, ctx: HubContext): void {
  app.get(`${ctx.baseUrl}hub/admin`, { schema: { hide: true } }, async (req, reply) => {
    const s = await pageSession(ctx, req);
    if (!s) return loginRedirect(ctx, req, reply);
    // pageContext already works out admin-ui (for the navigation): the same answer guards the page.
    const pc = await pageContext(ctx, req, reply, s, 'admin', { admin_page_size: ADMIN_PAGE_SIZE });
    if (!pc.adminUi)
      return errorPage(
        reply,
        ctx.baseUrl,
        403,
        'Forbidden',
        'The admin page needs the admin-ui permission.',
        s.user.name,
      );
    const a = ctx.config.authenticator;
    return renderPage(reply, 200, 'admin.html', pc, {
      authorize_url: a.class === 'password' && a.enable_signup ? `${ctx.baseUrl}hub/authorize` : '',
    });
  });
}
