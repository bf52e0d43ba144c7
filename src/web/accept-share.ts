import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sessionXsrfValid } from '../auth/xsrf.ts';
import { acceptShareCode, liveShareCode, OWN_CODE_MESSAGE } from '../commands/shares/index.ts';
import type { HubContext } from '../context.ts';
import { HubError } from '../errors/index.ts';
import { parseJson } from '../lib/json.ts';
import { describeScope } from '../rbac/index.ts';
import { serverReady } from '../api/present-server.ts';
import { loginRedirect, pageCaller, pageContext, pageSession, serverUrl } from './common.ts';
import { field } from './forms.ts';
import { errorPage, renderPage } from './html.ts';
import { safeNextUrl } from './next-url.ts';

const XSRF_FAILED = 'The form was not sent by this page (XSRF check failed).';

/**
 * `/hub/accept-share?code=…`: a signed-in user sees whose server a share code opens and what it grants
 * (GET), and accepts it with an XSRF-protected POST, which makes the share and sends them to the server
 * (or to a safe `next`). Statuses as upstream: an unknown or expired code is 404 on the page and 400 on
 * accepting; one's own code 403 and 400.
 */
export function registerAcceptSharePage(app: FastifyInstance<any, any, any, any, any>, ctx: HubContext): void {
  const base = ctx.baseUrl;
  const path = `${base}hub/accept-share`;
  const hide = { schema: { hide: true } };
  const nextFor = (req: FastifyRequest, given: unknown, owner: string, server: string) =>
    safeNextUrl(given, base, req) ?? serverUrl(base, owner, server);

  app.get(path, hide, async (req, reply) => {
    const s = await pageSession(ctx, req);
    if (!s) return loginRedirect(ctx, req, reply);
    const query = req.query as Record<string, unknown>;
    const code = typeof query.code === 'string' ? query.code : '';
    let row: Awaited<ReturnType<typeof liveShareCode>>;
    try {
      row = await liveShareCode(ctx, code);
    } catch (err) {
      if (!(err instanceof HubError)) throw err;
      return errorPage(reply, base, 404, 'Not Found', 'Share not found or expired', s.user.name);
    }
    if (row.owner_id === s.user.id) return errorPage(reply, base, 403, 'Forbidden', OWN_CODE_MESSAGE, s.user.name);
    const scopes = parseJson<string[]>(row.scopes, []).map((scope) => ({
      scope,
      description: describeScope(scope, ctx.config.custom_scopes) ?? scope,
    }));
    const pc = await pageContext(ctx, req, reply, s, 'accept-share');
    return renderPage(reply, 200, 'accept-share.html', pc, {
      code,
      xsrf: s.xsrf,
      owner: row.owner_name,
      server_name: row.server_name,
      server_url: serverUrl(base, row.owner_name, row.server_name),
      server_ready: serverReady(row),
      expires_at: row.expires_at,
      scopes,
      next_url: nextFor(req, query.next, row.owner_name, row.server_name),
    });
  });

  app.post(path, hide, async (req: FastifyRequest, reply: FastifyReply) => {
    const s = await pageSession(ctx, req);
    if (!s) return loginRedirect(ctx, req, reply);
    if (!sessionXsrfValid(ctx, s.user, s.sessionId, field(req.body, '_xsrf')))
      return errorPage(reply, base, 403, 'Forbidden', XSRF_FAILED, s.user.name);
    const query = req.query as Record<string, unknown>;
    const code = field(req.body, 'code') ?? (typeof query.code === 'string' ? query.code : '');
    try {
      const { code: row } = await acceptShareCode(ctx, await pageCaller(ctx, req, s), { code, user: s.user });
      return reply.redirect(nextFor(req, field(req.body, 'next') ?? query.next, row.owner_name, row.server_name), 302);
    } catch (err) {
      if (!(err instanceof HubError) || err.status >= 500) throw err;
      const message = err.reason === 'share_code_invalid' ? 'Invalid share code: not found or expired' : err.message;
      return errorPage(reply, base, 400, 'Bad Request', message, s.user.name);
    }
  });
}
