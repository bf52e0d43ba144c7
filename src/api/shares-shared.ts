import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { callerOf } from '../commands/deps.ts';
import { lookupShare, revokeShare } from '../commands/shares/index.ts';
import type { HubContext } from '../context.ts';
import { notFound } from '../errors/index.ts';
import type { HubServer } from '../http/server.ts';
import { presentShare, shareUrls } from '../shares/present.ts';
import { groupIdsOf } from '../shares/repo.ts';
import { ShareModel } from '../shares/schemas.ts';
import { needGroup, needUser } from './access.ts';
import { serverInPath, shareList, shareListSchema, tags } from './shares.ts';
import { errorResponses, NoContent } from './schemas.ts';

const Named = Type.Object({ name: Type.String() });
const OneShare = Type.Object({ name: Type.String(), owner: Type.String(), server_name: Type.Optional(Type.String()) });

/** What is shared with a user (and its groups) or a group: `/users/{name}/shared…`, `/groups/{name}/shared…`. */
export function registerSharedWithRoutes(app: HubServer, ctx: HubContext, prefix: string): void {
  const urls = () => shareUrls(ctx.baseUrl, ctx.config);
  // `…/shared/{owner}/` is the owner's default server; without the slash it names no server (upstream's 404).
  const serverOf = (req: FastifyRequest, server: string | undefined) => serverInPath(req, server, notFound);

  app.get(
    `${prefix}/users/:name/shared`,
    { schema: shareListSchema('List the servers shared with a user', Named) },
    async (req) => {
      const { user } = await needUser(ctx, req, ['read:users:shares'], req.params.name);
      return shareList(ctx, req, req.query, { userId: user.id, groupIds: await groupIdsOf(ctx.k, user.id) });
    },
  );

  app.get(
    `${prefix}/groups/:name/shared`,
    { schema: shareListSchema('List the servers shared with a group', Named) },
    async (req) => {
      const { group } = await needGroup(ctx, req, ['read:groups:shares'], req.params.name);
      return shareList(ctx, req, req.query, { groupId: group.id });
    },
  );

  for (const kind of ['user', 'group'] as const) {
    const base = `${prefix}/${kind}s/:name/shared/:owner`;
    const [read, write] =
      kind === 'user' ? ['read:users:shares', 'users:shares'] : ['read:groups:shares', 'groups:shares'];
    const authorize = (req: FastifyRequest, scope: string, name: string) =>
      kind === 'user' ? needUser(ctx, req, [scope], name) : needGroup(ctx, req, [scope], name);
    for (const path of [`${base}/:server_name`, base]) {
      app.get(
        path,
        {
          schema: {
            tags,
            summary: `Get a ${kind}'s share of one server`,
            params: OneShare,
            response: { 200: ShareModel, ...errorResponses },
          },
        },
        async (req) => {
          const server = serverOf(req, req.params.server_name);
          await authorize(req, read, req.params.name);
          const share = await lookupShare(ctx.k, {
            to: { kind, name: req.params.name },
            owner: req.params.owner,
            server,
          });
          return presentShare(urls(), share);
        },
      );
      app.delete(
        path,
        {
          schema: {
            tags,
            summary: `Revoke a ${kind}'s share of one server`,
            params: OneShare,
            response: { 204: NoContent, ...errorResponses },
          },
        },
        async (req, reply) => {
          const server = serverOf(req, req.params.server_name);
          await authorize(req, write, req.params.name);
          await revokeShare(ctx, callerOf(req), {
            to: { kind, name: req.params.name },
            owner: req.params.owner,
            server,
          });
          return reply.code(204).send();
        },
      );
    }
  }
}
