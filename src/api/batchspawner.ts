import { Type } from 'typebox';
import { requirePrincipal } from '../auth/authenticate.ts';
import type { HubContext } from '../context.ts';
import { portNotExpected, serverTokenRequired } from '../errors/index.ts';
import type { HubServer } from '../http/server.ts';
import { serverPrefixOfToken } from '../servers/credentials.ts';
import { serverLogName } from '../servers/names.ts';
import { errorResponses } from './schemas.ts';

/**
 * batchspawner's endpoint: a server started as a batch job picks its port on its node and reports it
 * here with its own API token (what batchspawner-singleuser and our slurm wrapper send). The token
 * names the server, so nothing else may report for it; only a start in flight takes the port.
 */
export function registerBatchSpawnerRoutes(app: HubServer, ctx: HubContext, prefix: string): void {
  app.post(
    `${prefix}/batchspawner`,
    {
      schema: {
        tags: ['servers'],
        summary: "A starting server reports its port (batchspawner's; with the server's own API token only)",
        body: Type.Object(
          { port: Type.Integer({ minimum: 1, maximum: 65535, description: 'The port the server listens on.' }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ message: Type.String() }, { description: 'The port was taken' }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const p = requirePrincipal(ctx, req);
      const serverPrefix = p.kind === 'user' && p.token ? serverPrefixOfToken(p.token) : null;
      if (serverPrefix === null) throw serverTokenRequired();
      const held = ctx.servers.heldAt(p.id, serverPrefix);
      // A token outlives its server only until the stop revokes it; name the server by its prefix meanwhile.
      const logName = held ? serverLogName(p.name, held.server) : `The server at ${serverPrefix}`;
      if (held?.pending !== 'spawn') throw portNotExpected(logName, 'it is not starting');
      if (!held.spawner?.reportPort)
        throw portNotExpected(logName, `the ${ctx.config.spawner.class} spawner picks the port itself`);
      held.spawner.reportPort(req.body.port);
      req.log.info({ server: logName, port: req.body.port }, 'server reported its port');
      return { message: 'BatchSpawner data configured' };
    },
  );
}
