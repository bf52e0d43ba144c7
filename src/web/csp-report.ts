import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { HubContext } from '../context.ts';

/** Reports are a few hundred bytes; a larger body is not a browser's report, and is refused (413). */
export const CSP_REPORT_LIMIT = 16 * 1024;

/**
 * Where browsers send Content-Security-Policy violations (the `report-uri` of our CSP header), as
 * JupyterHub's CSPReportHandler: each report is logged as a warning. Browsers send them without the
 * XSRF token, with their own content types (application/csp-report, application/reports+json), and for
 * pages seen signed out too, so the route asks for neither; the body is taken as text, bounded, never parsed.
 */
export function registerCspReport(app: FastifyInstance<any, any, any, any, any>, ctx: HubContext): void {
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req: FastifyRequest, body: Buffer, done) =>
      done(null, body),
    );
    scope.post(
      `${ctx.baseUrl}hub/security/csp-report`,
      { schema: { hide: true, response: { 204: Type.Null() } }, bodyLimit: CSP_REPORT_LIMIT },
      async (req: FastifyRequest, reply: FastifyReply) => {
        const body = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
        req.log.warn({ report: body, user_agent: req.headers['user-agent'] ?? null }, 'Content security violation');
        return reply.code(204).send();
      },
    );
  });
}
