import { Type } from 'typebox';
import type { HubContext } from '../context.ts';
import type { HubServer } from '../http/server.ts';
import { findOwnToken } from '../commands/tokens/index.ts';
import { readUsage } from '../tokens/usage-store.ts';
import { needUser } from './access.ts';
import { errorResponses } from './schemas.ts';

const Seen = {
  first_seen: Type.String({ format: 'date-time' }),
  last_seen: Type.String({ format: 'date-time' }),
  requests: Type.Integer({ description: 'requests from it while it was among the last ones kept' }),
};

const TokenUsageModel = Type.Object(
  {
    token_id: Type.String(),
    retention_days: Type.Integer({ description: 'how many UTC days of counts are kept' }),
    ips: Type.Array(Type.Object({ ip: Type.String(), ...Seen }), {
      description: 'the last distinct client IPs (at most 10), most recent first',
    }),
    user_agents: Type.Array(Type.Object({ user_agent: Type.String(), ...Seen }), {
      description: 'the last distinct user agents (at most 10), most recent first',
    }),
    days: Type.Array(
      Type.Object({
        day: Type.String({ description: 'YYYY-MM-DD, UTC' }),
        requests: Type.Integer(),
        errors: Type.Integer({ description: 'answers with status 400 or more' }),
      }),
      { description: 'days with requests, newest first' },
    ),
    top_routes: Type.Array(
      Type.Object({
        route: Type.String({ description: 'method and route pattern, e.g. GET /hub/api/users/:name' }),
        requests: Type.Integer(),
      }),
      { description: 'the 10 routes most used over the kept days' },
    ),
  },
  { description: 'tshub: what a token was used for and from where' },
);

/** tshub: per-token usage, collected off the request path (src/tokens/usage-collector.ts). */
export function registerTokenUsageRoutes(app: HubServer, ctx: HubContext, prefix: string): void {
  app.get(
    `${prefix}/users/:name/tokens/:token_id/usage`,
    {
      schema: {
        tags: ['tokens'],
        summary: "tshub: a token's usage (last IPs and user agents, requests and errors per day, top routes)",
        params: Type.Object({ name: Type.String(), token_id: Type.String() }),
        response: { 200: TokenUsageModel, ...errorResponses },
      },
    },
    async (req) => {
      const { user } = await needUser(ctx, req, ['read:tokens'], req.params.name);
      // An expired token's usage is what one looks at after the fact.
      const row = await findOwnToken(ctx.k, user, req.params.token_id, true);
      // Requests counted but not yet written are part of the answer.
      await ctx.activity.flush();
      return { token_id: `a${row.id}`, ...(await readUsage(ctx.k, row.id, new Date())) };
    },
  );
}
