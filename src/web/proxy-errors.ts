import { STATUS_CODES } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { HubContext } from '../context.ts';
import { pageSession } from './common.ts';
import { errorPage, html } from './html.ts';

/**
 * The proxy's error target: configurable-http-proxy fetches `<hub>/hub/error/<code>?url=<path>` when it
 * cannot reach a route's target and shows our page with that status. A 503 under /user/<name>/ almost
 * always means the server stopped or crashed while its route was still in place.
 */
export function registerProxyErrorPage(app: FastifyInstance<any, any, any, any, any>, ctx: HubContext): void {
  const base = ctx.baseUrl;
  app.get(`${base}hub/error/:code`, { schema: { hide: true } }, async (req, reply) => {
    const { code } = req.params as { code: string };
    const status = /^[45]\d\d$/.test(code) ? Number(code) : 404;
    const url = (req.query as Record<string, unknown>).url;
    const path = typeof url === 'string' ? url.split('?')[0]! : '';
    const s = await pageSession(ctx, req);
    const userPath = new RegExp(`^${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}user/([^/]+)/`).exec(path);
    const title = STATUS_CODES[status] ?? 'Error';
    if (status === 503 && userPath) {
      // The proxy sends no cookies with this request, so the page cannot know whose browser it is for.
      const message = html`The server at <code>${userPath[0]}</code> is not running or not responding.
        If it is yours, you can start it again from the <a href="${base}hub/home">home page</a>.`;
      return errorPage(reply, base, status, 'Server not running', message, s?.user.name);
    }
    const message =
      status === 503
        ? 'The service you asked for is not responding. Please try again later.'
        : status === 404
          ? html`Nothing is served at <code>${path || 'this address'}</code>.`
          : 'The request could not be completed.';
    return errorPage(reply, base, status, title, message, s?.user.name);
  });
}
