import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { HubContext } from '../context.ts';

/** Reports are a few hundred bytes; a larger body is not a browser's report, and is refused (413). */
export const CSP_REPORT_LIMIT = 16 * 1024;

/**
 * Where browsers send Content-Security-Policy violations (the `report-uri` of our CSP header), as
 * JupyterHub's CSPReportHandler: each report is logged as a warning. Browsers send them without the
 * XSRF token, with their own content types (application/csp-report, application/reports+json), and for
 * pages seen signed out too, so the route asks for neither. Reports are JSON whatever their content type,
 * and the body is read like any API body (bounded, and refused when it is not valid JSON).
 */
export function registerCspReport(app: FastifyInstance<any, any, any, any, any>, ctx: HubContext): void {
  app.post(
    `${ctx.baseUrl}hub/security/csp-report`,
    { schema: { hide: true, response: { 204: Type.Null() } }, bodyLimit: CSP_REPORT_LIMIT },
    async (req: FastifyRequest, reply: FastifyReply) => {
      req.log.warn(
        { report: req.body ?? null, user_agent: req.headers['user-agent'] ?? null },
        'Content security violation',
      );
      ctx.metrics.cspReports.inc();
      return reply.code(204).send();
    },
  );
}
