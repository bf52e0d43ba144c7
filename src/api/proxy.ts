import { Type } from 'typebox';
import type { HubContext } from '../context.ts';
import type { HubServer } from '../http/server.ts';
import { invalidRequest } from '../errors/index.ts';
import { need } from './access.ts';
import { errorResponses } from './schemas.ts';

const RouteModel = Type.Object(
  { routespec: Type.String(), target: Type.String(), data: Type.Object({}, { additionalProperties: true }) },
  { additionalProperties: true },
);

export function registerProxyRoutes(app: HubServer, ctx: HubContext, prefix: string): void {
  app.get(
    `${prefix}/proxy`,
    {
      schema: {
        tags: ['proxy'],
        summary: "The proxy's routing table (routes the hub manages)",
        response: { 200: Type.Record(Type.String(), RouteModel), ...errorResponses },
      },
    },
    async (req) => {
      need(ctx, req, ['proxy']);
      return ctx.proxy.routes();
    },
  );

  app.post(
    `${prefix}/proxy`,
    {
      schema: {
        tags: ['proxy'],
        summary: 'Re-sync the proxy with the database (add missing routes, remove stale ones)',
        response: { 200: Type.Null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      const p = need(ctx, req, ['proxy']);
      await ctx.proxy.sync();
      req.log.info({ actor: p.name }, 'proxy re-synced through the API');
      return reply.code(200).send();
    },
  );

  app.patch(
    `${prefix}/proxy`,
    {
      schema: {
        tags: ['proxy'],
        summary: 'Point the hub at a proxy API elsewhere, then re-sync its routes',
        body: Type.Object(
          {
            api_url: Type.Optional(Type.String({ minLength: 1 })),
            auth_token: Type.Optional(Type.String({ minLength: 1 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      const p = need(ctx, req, ['proxy']);
      if (req.body.api_url === undefined && req.body.auth_token === undefined)
        throw invalidRequest('Give api_url and/or auth_token to change');
      if (req.body.api_url !== undefined) {
        let u: URL | null = null;
        try {
          u = new URL(req.body.api_url);
        } catch {
          // reported below
        }
        if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:'))
          throw invalidRequest(`api_url must be an http(s) URL, not ${JSON.stringify(req.body.api_url)}`);
      }
      try {
        await ctx.proxy.reconfigure(req.body);
      } catch (err) {
        throw invalidRequest(`Cannot use that proxy: ${(err as Error).message}`);
      }
      req.log.warn({ actor: p.name, api_url: req.body.api_url }, 'proxy API changed through the API');
      return reply.code(200).send();
    },
  );

  app.post(
    `${prefix}/shutdown`,
    {
      schema: {
        tags: ['hub'],
        summary: 'Shut down the hub (and, optionally, the proxy and all servers)',
        body: Type.Optional(
          Type.Union([
            Type.Null(),
            Type.Object(
              { proxy: Type.Optional(Type.Boolean()), servers: Type.Optional(Type.Boolean()) },
              { additionalProperties: false },
            ),
          ]),
        ),
        response: { 202: Type.Object({ message: Type.String() }), ...errorResponses },
      },
    },
    async (req, reply) => {
      const p = need(ctx, req, ['shutdown']);
      const stopProxy = req.body?.proxy ?? true;
      const stopServers = req.body?.servers ?? ctx.config.cleanup_servers;
      req.log.warn({ actor: p.name, proxy: stopProxy, servers: stopServers }, 'shutdown requested through the API');
      reply.code(202);
      // Answer first: the caller should get its 202 before the hub goes away.
      setImmediate(async () => {
        try {
          if (stopServers) await ctx.servers.stopAllOf(null);
          if (stopProxy) await ctx.proxy.terminate();
        } catch (err) {
          req.log.error({ err }, 'error while shutting down');
        }
        ctx.requestShutdown();
      });
      return { message: 'Shutting down Hub' };
    },
  );
}
