import { Type } from 'typebox';
import type { HubContext } from '../context.ts';
import type { HubServer } from '../http/server.ts';
import { need } from './access.ts';
import { errorResponses } from './schemas.ts';

export function registerProxyRoutes(app: HubServer, ctx: HubContext, prefix: string): void {
  app.get(`${prefix}/proxy`, {
    schema: {
      tags: ['proxy'], summary: 'The routing table',
      response: { 200: Type.Record(Type.String(), Type.Object({}, { additionalProperties: true })), ...errorResponses },
    },
  }, async (req) => {
    need(ctx, req, ['proxy']);
    // Until a proxy process runs, the hub serves bind_url itself: its one route is the hub's.
    return {
      [ctx.baseUrl]: { routespec: ctx.baseUrl, target: ctx.config.hub_bind_url.replace(/\/$/, ''), data: { hub: true } },
    };
  });

  app.post(`${prefix}/shutdown`, {
    schema: {
      tags: ['hub'], summary: 'Shut down the hub',
      body: Type.Optional(Type.Union([Type.Null(), Type.Object({ proxy: Type.Optional(Type.Boolean()), servers: Type.Optional(Type.Boolean()) }, { additionalProperties: false })])),
      response: { 202: Type.Object({ message: Type.String() }), ...errorResponses },
    },
  }, async (req, reply) => {
    const p = need(ctx, req, ['shutdown']);
    req.log.warn({ actor: p.name }, 'shutdown requested through the API');
    reply.code(202);
    setImmediate(() => ctx.requestShutdown());
    return { message: 'Shutting down Hub' };
  });
}
