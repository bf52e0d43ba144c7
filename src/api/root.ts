import { execFile } from 'node:child_process';
import { Type } from 'typebox';
import type { HubContext } from '../context.ts';
import type { HubServer } from '../http/server.ts';
import { requirePrincipal } from '../auth/authenticate.ts';
import { need } from './access.ts';
import { registerAuthorizationRoutes } from './authorizations.ts';
import { requestKey, type ReadCache } from './read-cache.ts';
import { errorResponses } from './schemas.ts';
import { flagArg } from './users.ts';
import { whoami, type WhoamiFactsCache } from './whoami.ts';

/**
 * `/info`'s `python`: the hub runs no Python, so this is `sys.version` of the `python3` on the hub's PATH
 * (what the local spawners' jupyterhub-singleuser normally runs on), asked once; null without one.
 */
let pythonVersion: Promise<string | null> | null = null;
function pythonOnPath(): Promise<string | null> {
  pythonVersion ??= new Promise((resolve) => {
    execFile('python3', ['-c', 'import sys; print(sys.version)'], { timeout: 5000 }, (err, stdout) =>
      resolve(err ? null : stdout.trim() || null),
    );
  });
  return pythonVersion;
}

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
        summary: 'Hub details: versions (python: sys.version of the python3 on the hub PATH), authenticator, spawner',
        response: { 200: Type.Object({}, { additionalProperties: true }), ...errorResponses },
      },
    },
    async (req) => {
      need(ctx, req, ['read:hub']);
      return {
        version: ctx.apiVersion,
        tshub_version: ctx.version,
        python: await pythonOnPath(),
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

  registerAuthorizationRoutes(app, ctx, prefix);

  for (const path of [`${prefix}/health`]) {
    app.get(path, { schema: { tags: ['hub'], summary: 'Health check', security: [] } }, async () => ({ status: 'ok' }));
  }
}
