import type { FastifyRequest } from 'fastify';
import { type Static, type TSchema, Type } from 'typebox';
import { callerOf } from '../commands/deps.ts';
import { existingServer, grantShare, revokeAllShares, revokeShareScopes } from '../commands/shares/index.ts';
import type { HubContext } from '../context.ts';
import { sharesListOnly } from '../errors/index.ts';
import type { HubServer } from '../http/server.ts';
import { presentShare, shareUrls } from '../shares/present.ts';
import { listShares, type ShareSelector } from '../shares/repo.ts';
import { ShareModel, ShareRequest } from '../shares/schemas.ts';
import { needServer, needUser, scopesFirst } from './access.ts';
import { pageOf, paginated } from './pagination.ts';
import { errorResponses, MaybePaginated, NoContent, PaginationQuery } from './schemas.ts';

export const tags = ['shares'];
type Query = { offset?: string; limit?: string };
// One params type for `/shares/{user}` and `/shares/{user}/{server}` (the latter's server is required).
const Params = Type.Object({ owner: Type.String(), server_name: Type.Optional(Type.String()) });

/**
 * `/shares/alice/` (the default server) and `/shares/alice` (all of alice's) reach the same route, since
 * the router ignores a trailing slash: the slash tells them apart, as in upstream's URL patterns.
 */
export function defaultServerPath(req: FastifyRequest): boolean {
  return (req.url.split('?')[0] ?? '').endsWith('/');
}

/** The server a path names: its server_name, else with the trailing slash the default one; else `none()` is thrown. */
export function serverInPath(req: FastifyRequest, server: string | undefined, none: () => Error): string {
  if (server !== undefined) return server;
  if (!defaultServerPath(req)) throw none();
  return '';
}

/** The schema of a route that lists shares. */
export function shareListSchema<P extends TSchema>(summary: string, params: P) {
  return {
    tags,
    summary,
    params,
    querystring: Type.Object(PaginationQuery),
    response: { 200: MaybePaginated(ShareModel), ...errorResponses },
  };
}

/** A page of shares as upstream's list endpoints answer (the envelope with the pagination Accept header). */
export async function shareList(ctx: HubContext, req: FastifyRequest, query: Query, selector: ShareSelector | null) {
  const page = pageOf(req, ctx.config, query);
  const { rows, total } = selector ? await listShares(ctx.k, selector, page) : { rows: [], total: 0 };
  const urls = shareUrls(ctx.baseUrl, ctx.config);
  const items = rows.map((r) => presentShare(urls, r));
  return page.paginated ? paginated(req, page, items, total) : items;
}

export function registerShareRoutes(app: HubServer, ctx: HubContext, prefix: string): void {
  const listSchema = (summary: string) => shareListSchema(summary, Params);

  const listServer = async (req: FastifyRequest, query: Query, user: string, server: string) => {
    await needServer(ctx, req, ['read:shares'], user, server);
    const { spawner } = await existingServer(ctx.k, user, server);
    return shareList(ctx, req, query, spawner ? { spawnerId: spawner.id } : null);
  };

  app.get(
    `${prefix}/shares/:owner`,
    { schema: listSchema("List a user's shares (with a trailing slash: its default server's)") },
    async (req) => {
      if (defaultServerPath(req)) return listServer(req, req.query, req.params.owner, '');
      const { user } = await needUser(ctx, req, ['read:shares'], req.params.owner);
      return shareList(ctx, req, req.query, { ownerId: user.id });
    },
  );

  app.get(`${prefix}/shares/:owner/:server_name`, { schema: listSchema("List a server's shares") }, async (req) =>
    listServer(req, req.query, req.params.owner, req.params.server_name ?? ''),
  );

  // Writes name a server (`/shares/{user}/` is the default one), and need the shares scope on it.
  const serverToWrite = async (req: FastifyRequest, params: Static<typeof Params>) => {
    const server = serverInPath(req, params.server_name, sharesListOnly);
    await needServer(ctx, req, ['shares'], params.owner, server);
    return server;
  };
  for (const path of [`${prefix}/shares/:owner/:server_name`, `${prefix}/shares/:owner`]) {
    app.post(
      path,
      {
        preParsing: scopesFirst(ctx, ['shares']),
        schema: {
          tags,
          summary: 'Share a server with a user or group',
          params: Params,
          body: ShareRequest,
          response: { 200: ShareModel, ...errorResponses },
        },
      },
      async (req) => {
        const server = await serverToWrite(req, req.params);
        const share = await grantShare(ctx, callerOf(req), {
          owner: req.params.owner,
          server,
          to: req.body,
          scopes: req.body.scopes,
        });
        return presentShare(shareUrls(ctx.baseUrl, ctx.config), share);
      },
    );

    app.patch(
      path,
      {
        preParsing: scopesFirst(ctx, ['shares']),
        schema: {
          tags,
          summary: "Revoke some or all of a user's or group's access to a server",
          params: Params,
          body: ShareRequest,
          response: { 200: Type.Union([ShareModel, Type.Object({})]), ...errorResponses },
        },
      },
      async (req) => {
        const server = await serverToWrite(req, req.params);
        const share = await revokeShareScopes(ctx, callerOf(req), {
          owner: req.params.owner,
          server,
          to: req.body,
          scopes: req.body.scopes,
        });
        return share ? presentShare(shareUrls(ctx.baseUrl, ctx.config), share) : {};
      },
    );

    app.delete(
      path,
      {
        schema: {
          tags,
          summary: 'Revoke every share of a server',
          params: Params,
          response: { 204: NoContent, ...errorResponses },
        },
      },
      async (req, reply) => {
        const server = await serverToWrite(req, req.params);
        await revokeAllShares(ctx, callerOf(req), { owner: req.params.owner, server });
        return reply.code(204).send();
      },
    );
  }
}
