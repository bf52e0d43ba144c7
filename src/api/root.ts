import { Type } from 'typebox';
import type { HubContext } from '../context.ts';
import type { HubServer } from '../http/server.ts';
import { requirePrincipal } from '../auth/authenticate.ts';
import { need } from './access.ts';
import { requestKey, type ReadCache } from './read-cache.ts';
import { errorResponses } from './schemas.ts';
import { flagArg } from './users.ts';
import { whoami, type WhoamiFactsCache } from './whoami.ts';

export function registerRootRoutes(app: HubServer, ctx: HubContext, prefix: string, reads: ReadCache): void {
  const whoamiFacts: WhoamiFactsCache = new WeakMap();
  app.get(
    `${prefix}/`,
    {
      schema: {
        tags: ['hub'],
        summary: 'API version (no authentication)',
        security: [],
        response: { 200: Type.Object({ version: Type.String(), tshub_version: Type.String() }) },
      },
    },
    async (_req, reply) => {
      reply.header('Access-Control-Allow-Origin', '*');
      return { version: ctx.apiVersion, tshub_version: ctx.version };
    },
  );

  app.get(
    `${prefix}/info`,
    {
      schema: {
        tags: ['hub'],
        summary: 'Hub details',
        response: { 200: Type.Object({}, { additionalProperties: true }), ...errorResponses },
      },
    },
    async (req) => {
      need(ctx, req, ['read:hub']);
      return {
        version: ctx.apiVersion,
        tshub_version: ctx.version,
        python: null,
        sys_executable: process.execPath,
        node: process.version,
        spawner: { class: ctx.config.spawner.class, version: ctx.version },
        authenticator: { class: ctx.config.authenticator.class, version: ctx.version },
      };
    },
  );

  app.get(
    `${prefix}/user`,
    {
      schema: {
        tags: ['hub'],
        summary: 'Identify the caller (whoami)',
        querystring: Type.Object({ include_stopped_servers: Type.Optional(Type.String()) }),
        response: {
          200: Type.Object(
            {
              kind: Type.String(),
              name: Type.String(),
              scopes: Type.Array(Type.String()),
              token_id: Type.Union([Type.String(), Type.Null()]),
              session_id: Type.Union([Type.String(), Type.Null()]),
            },
            { additionalProperties: true },
          ),
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const p = requirePrincipal(ctx, req);
      return reads.answer(reply, p, requestKey(req), () =>
        whoami(ctx, whoamiFacts, p, flagArg(req.query.include_stopped_servers)),
      );
    },
  );

  for (const path of [`${prefix}/health`]) {
    app.get(path, { schema: { tags: ['hub'], summary: 'Health check', security: [] } }, async () => ({ status: 'ok' }));
  }
}
