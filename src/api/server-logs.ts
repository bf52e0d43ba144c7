import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import type { HubContext } from '../context.ts';
import { invalidRequest, notFound } from '../errors/index.ts';
import type { HubServer } from '../http/server.ts';
import { serverLogs } from '../servers/logs.ts';
import { serverLogName, serverPrefix } from '../servers/names.ts';
import { needServer } from './access.ts';
import { errorResponses } from './schemas.ts';

// A tshub extension: a server's recent output for whoever may administer servers (admins, by default).

/** JupyterHub's scope for reading and changing servers and their state: admins hold it. */
const SCOPES = ['admin:servers'];
const MAX_TAIL = 10_000;

type LogsRequest = FastifyRequest<{
  Params: { name: string; server_name?: string };
  Querystring: { tail?: string };
}>;

function parseTail(raw: string | undefined): number {
  if (raw === undefined) return 100;
  const n = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_TAIL)
    throw invalidRequest(`tail must be a whole number from 1 to ${MAX_TAIL}, not ${JSON.stringify(raw)}`);
  return n;
}

export function registerServerLogRoutes(app: HubServer, ctx: HubContext, prefix: string): void {
  const logs = async (req: LogsRequest) => {
    const server = req.params.server_name ?? '';
    const tail = parseTail(req.query.tail);
    const { user } = await needServer(ctx, req, SCOPES, req.params.name, server);
    const logName = serverLogName(user.name, server);
    const spawner = ctx.servers.heldAt(user.id, serverPrefix(ctx.baseUrl, user.name, server))?.spawner;
    if (!spawner) throw notFound(`${logName} is not running`);
    return { server: logName, ...(await serverLogs(spawner, tail)) };
  };
  const schema = (named: boolean) => ({
    tags: ['servers'],
    summary: `A ${named ? 'named' : "user's default"} server's last lines of output (tshub; needs admin:servers)`,
    params: named
      ? Type.Object({ name: Type.String(), server_name: Type.String() })
      : Type.Object({ name: Type.String() }),
    querystring: Type.Object({
      tail: Type.Optional(Type.String({ description: `How many lines, 1 to ${MAX_TAIL} (default 100).` })),
    }),
    response: {
      200: Type.Object({
        server: Type.String({ description: 'The server as the hub names it in its log: user, or user:server.' }),
        source: Type.String({
          description: "Where the lines come from: a log file's path, or 'engine' (a container's).",
        }),
        lines: Type.Array(Type.String()),
      }),
      ...errorResponses,
    },
  });
  app.get(`${prefix}/users/:name/server/logs`, { schema: schema(false) }, logs as never);
  app.get(`${prefix}/users/:name/servers/:server_name/logs`, { schema: schema(true) }, logs as never);
}
