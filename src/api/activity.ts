import { Type } from 'typebox';
import type { HubContext } from '../context.ts';
import type { HubServer } from '../http/server.ts';
import { invalidRequest } from '../errors/index.ts';
import { parseTimestamp } from '../lib/time.ts';
import { findSpawner, touchSpawnerActivity } from '../repo/spawners.ts';
import { touchUserActivity } from '../repo/users.ts';
import { needUser } from './access.ts';
import { errorResponses } from './schemas.ts';

const MAX_FUTURE_MS = 59 * 60 * 1000;

/** A reported timestamp as stored ISO text; too far in the future is refused (clock skew or abuse). */
function timestamp(value: unknown, what: string): string {
  const d = typeof value === 'string' ? parseTimestamp(value) : null;
  if (!d) throw invalidRequest(`${what}: invalid timestamp ${JSON.stringify(value)}`);
  if (d.getTime() - Date.now() > MAX_FUTURE_MS) throw invalidRequest(`${what}: timestamp ${value} is in the future`);
  return d.toISOString();
}

export function registerActivityRoutes(app: HubServer, ctx: HubContext, prefix: string): void {
  app.post(
    `${prefix}/users/:name/activity`,
    {
      schema: {
        tags: ['users'],
        summary: "Report a user's (and their servers') last activity",
        params: Type.Object({ name: Type.String() }),
        body: Type.Object(
          {
            last_activity: Type.Optional(Type.String()),
            servers: Type.Optional(
              Type.Record(Type.String(), Type.Object({ last_activity: Type.String() }, { additionalProperties: true })),
            ),
          },
          { additionalProperties: true },
        ),
        response: { 200: Type.Null({ description: 'Empty body' }), ...errorResponses },
      },
    },
    async (req, reply) => {
      const { user } = await needUser(ctx, req, ['users:activity'], req.params.name);
      const body = req.body;
      if (body.last_activity === undefined && body.servers === undefined) {
        throw invalidRequest('body has no activity to record (need last_activity or servers)');
      }
      const servers: [number, string][] = [];
      for (const [name, s] of Object.entries(body.servers ?? {})) {
        const row = await findSpawner(ctx.k, user.id, name);
        if (!row) throw invalidRequest(`No such server '${name}' for user ${user.name}`);
        servers.push([row.id, timestamp(s.last_activity, `servers.${name}.last_activity`)]);
      }
      const userTs = body.last_activity === undefined ? null : timestamp(body.last_activity, 'last_activity');
      // Stored only if newer than what is there (touch* keep the newest), whatever order reports arrive in.
      if (userTs) await touchUserActivity(ctx.k, user.id, userTs);
      for (const [id, ts] of servers) await touchSpawnerActivity(ctx.k, id, ts);
      return reply.code(200).send();
    },
  );
}
