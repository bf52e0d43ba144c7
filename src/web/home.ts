import type { FastifyInstance } from 'fastify';
import type { HubContext } from '../context.ts';
import { hubServerPage, loginRedirect, pageContext, pageSession, serverState, serverUrl } from './common.ts';
import { renderPage } from './html.ts';

const STATE_TEXT = {
  ready: 'Your server is running.',
  pending: 'Your server is starting or stopping.',
  failed: 'Your server failed to start.',
  stopped: 'Your server is not running.',
} as const;

/**
 * A minimal home page until the full one (named servers table etc.) exists: who is signed in, the
 * default server's state with a start or stop button, and links to the server and to sign out.
 */
export function registerHomePage(app: FastifyInstance<any, any, any, any, any>, ctx: HubContext): void {
  const base = ctx.baseUrl;
  app.get(`${base}hub/home`, { schema: { hide: true } }, async (req, reply) => {
    const s = await pageSession(ctx, req);
    if (!s) return loginRedirect(ctx, req, reply);
    const state = await serverState(ctx, s.user, '');
    const url = serverUrl(base, s.user.name, '');
    return renderPage(reply, 200, 'home.html', await pageContext(ctx, req, reply, s, 'home'), {
      state,
      state_text: STATE_TEXT[state],
      server_url: url,
      pending_url: hubServerPage(base, 'spawn-pending', s.user.name, ''),
    });
  });
}
