import { Type } from 'typebox';
import type { HubContext } from '../context.ts';
import type { HubServer } from '../http/server.ts';
import { invalidRequest } from '../errors/index.ts';
import { need } from './access.ts';
import { pageOf, paginated } from './pagination.ts';
import { errorResponses, Pagination, PaginationQuery } from './schemas.ts';

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
        summary:
          "The proxy's routing table (routes the hub manages), by routespec; offset/limit page it in routespec order",
        querystring: Type.Object(PaginationQuery),
        response: {
          200: Type.Union([
            Type.Record(Type.String(), RouteModel),
            Type.Object({ items: Type.Record(Type.String(), RouteModel), _pagination: Pagination }),
          ]),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      need(ctx, req, ['proxy']);
      const page = pageOf(req, ctx.config, req.query);
      const all = await ctx.proxy.routes();
      const specs = Object.keys(all).sort();
      const routes = Object.fromEntries(specs.slice(page.offset, page.offset + page.limit).map((s) => [s, all[s]]));
      return page.paginated ? paginated(req, page, routes, specs.length) : routes;
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
        // Upstream documents ip, port and protocol too but uses only api_url and auth_token: other keys are ignored.
        body: Type.Object(
          {
            api_url: Type.Optional(Type.String({ minLength: 1 })),
            auth_token: Type.Optional(Type.String({ minLength: 1 })),
          },
          { additionalProperties: true },
        ),
        response: { 200: Type.Null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      const p = need(ctx, req, ['proxy']);
      const { api_url, auth_token } = req.body;
      if (api_url !== undefined) {
        let u: URL | null = null;
        try {
          u = new URL(api_url);
        } catch {
          // reported below
        }
        if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:'))
          throw invalidRequest(`api_url must be an http(s) URL, not ${JSON.stringify(api_url)}`);
      }
      if (api_url === undefined && auth_token === undefined) {
        // As upstream: nothing to change, so only the re-sync.
        await ctx.proxy.sync();
        return reply.code(200).send();
      }
      try {
        await ctx.proxy.reconfigure({ api_url, auth_token });
      } catch (err) {
        throw invalidRequest(`Cannot use that proxy: ${(err as Error).message}`);
      }
      req.log.warn({ actor: p.name, api_url }, 'proxy API changed through the API');
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
