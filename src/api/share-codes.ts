import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { callerOf } from '../commands/deps.ts';
import { createShareCode, existingServer, revokeShareCodes } from '../commands/shares/index.ts';
import type { HubContext } from '../context.ts';
import { sharesListOnly } from '../errors/index.ts';
import type { HubServer } from '../http/server.ts';
import { isoNow } from '../lib/time.ts';
import { presentShareCode, shareUrls } from '../shares/present.ts';
import { listShareCodes } from '../shares/repo.ts';
import { ShareCodeModel, ShareCodeRequest } from '../shares/schemas.ts';
import { needServer, needUser, scopesFirst } from './access.ts';
import { pageOf, paginated } from './pagination.ts';
import { errorResponses, MaybePaginated, NoContent, PaginationQuery } from './schemas.ts';
import { defaultServerPath, serverInPath, tags } from './shares.ts';

const Params = Type.Object({ owner: Type.String(), server_name: Type.Optional(Type.String()) });
type Query = { offset?: string; limit?: string };

/** `/share-codes/{user}/{server}`: codes that become shares for whoever accepts them. */
export function registerShareCodeRoutes(app: HubServer, ctx: HubContext, prefix: string): void {
  const urls = () => shareUrls(ctx.baseUrl, ctx.config);

  const list = async (req: FastifyRequest, query: Query, s: { spawnerId: number } | { ownerId: number } | null) => {
    const page = pageOf(req, ctx.config, query);
    const { rows, total } = s ? await listShareCodes(ctx.k, s, page, isoNow()) : { rows: [], total: 0 };
    const items = rows.map((r) => presentShareCode(urls(), r));
    return page.paginated ? paginated(req, page, items, total) : items;
  };

  const serverOf = (req: FastifyRequest, server: string | undefined) => serverInPath(req, server, sharesListOnly);

  for (const path of [`${prefix}/share-codes/:owner`, `${prefix}/share-codes/:owner/:server_name`]) {
    app.get(
      path,
      {
        schema: {
          tags,
          summary: "List share codes of a user's servers, or of one server",
          params: Params,
          querystring: Type.Object(PaginationQuery),
          response: { 200: MaybePaginated(ShareCodeModel), ...errorResponses },
        },
      },
      async (req) => {
        const { owner, server_name: server } = req.params;
        if (server === undefined && !defaultServerPath(req)) {
          const { user } = await needUser(ctx, req, ['read:shares'], owner);
          return list(req, req.query, { ownerId: user.id });
        }
        await needServer(ctx, req, ['read:shares'], owner, server ?? '');
        const { spawner } = await existingServer(ctx.k, owner, server ?? '');
        return list(req, req.query, spawner ? { spawnerId: spawner.id } : null);
      },
    );

    app.post(
      path,
      {
        preParsing: scopesFirst(ctx, ['shares']),
        schema: {
          tags,
          summary: 'Make a share code for a server (the code is shown only in this answer)',
          params: Params,
          body: Type.Optional(Type.Union([ShareCodeRequest, Type.Null()])),
          response: { 200: ShareCodeModel, ...errorResponses },
        },
      },
      async (req) => {
        const server = serverOf(req, req.params.server_name);
        await needServer(ctx, req, ['shares'], req.params.owner, server);
        const { row, code } = await createShareCode(ctx, callerOf(req), {
          owner: req.params.owner,
          server,
          scopes: req.body?.scopes,
          expiresIn: req.body?.expires_in,
        });
        return presentShareCode(urls(), row, code);
      },
    );

    app.delete(
      path,
      {
        schema: {
          tags,
          summary: 'Revoke one share code (by `code` or `id`) or all of a server',
          params: Params,
          querystring: Type.Object({ code: Type.Optional(Type.String()), id: Type.Optional(Type.String()) }),
          response: { 204: NoContent, ...errorResponses },
        },
      },
      async (req, reply) => {
        const server = serverOf(req, req.params.server_name);
        await needServer(ctx, req, ['shares'], req.params.owner, server);
        await revokeShareCodes(ctx, callerOf(req), {
          owner: req.params.owner,
          server,
          code: req.query.code,
          id: req.query.id,
        });
        return reply.code(204).send();
      },
    );
  }
}
