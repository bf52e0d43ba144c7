import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hubHooks } from '../config/hub-hooks.ts';
import type { HubContext } from '../context.ts';
import { hubServerPage, loginRedirect, pageSession, serverUrl } from './common.ts';
import { errorPage } from './html.ts';

/**
 * `/hub/user-redirect/<path>`: a link that means "this path on your own server" (nbgitpuller links,
 * JupyterLab's shareable links). A signed-in user goes to the spawn page with `next` set to
 * `/user/<name>/[<default_server_name>/]<path>?<query>`: a running server is opened at once, a stopped
 * one is started first. Not signed in: login, coming back here. The config's user_redirect_hook may
 * name another target.
 */
export function registerUserRedirect(app: FastifyInstance<any, any, any, any, any>, ctx: HubContext): void {
  const base = ctx.baseUrl;
  const prefix = `${base}hub/user-redirect`;

  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    const s = await pageSession(ctx, req);
    if (!s) return loginRedirect(ctx, req, reply);
    const q = req.url.indexOf('?');
    const path = (q === -1 ? req.url : req.url.slice(0, q)).slice(prefix.length).replace(/^\/+/, '');
    const query = q === -1 ? '' : req.url.slice(q);
    const hook = hubHooks(ctx.config).user_redirect_hook;
    if (hook) {
      let decoded: string;
      try {
        decoded = decodeURIComponent(path);
      } catch {
        return errorPage(reply, base, 400, 'Bad Request', 'The link is not a valid URL path.', s.user.name);
      }
      let url: string | null | undefined;
      try {
        url = await hook(decoded, req, { name: s.user.name, admin: s.user.admin === 1 }, base);
      } catch (err) {
        req.log.error({ err }, 'user_redirect_hook failed');
        return errorPage(
          reply,
          base,
          500,
          'Redirect failed',
          'The hub could not work out where this link goes.',
          s.user.name,
        );
      }
      if (typeof url === 'string' && url !== '') return reply.redirect(url, 302);
    }
    const server = ctx.config.allow_named_servers ? ctx.config.default_server_name : '';
    const target = `${serverUrl(base, s.user.name, server)}${path}${query}`;
    const spawn = hubServerPage(base, 'spawn', s.user.name, server);
    return reply.redirect(`${spawn}?next=${encodeURIComponent(target)}`, 302);
  };
  const hide = { schema: { hide: true } };
  app.get(prefix, hide, handler);
  app.get(`${prefix}/*`, hide, handler);
}
