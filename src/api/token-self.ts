import { Type } from 'typebox';
import type { HubContext } from '../context.ts';
import type { HubServer } from '../http/server.ts';
import { requirePrincipal } from '../auth/authenticate.ts';
import { noTokenInHand } from '../errors/index.ts';
import { tokenKindName } from '../tokens/issue.ts';
import { presentToken } from '../tokens/present.ts';
import { errorResponses, TokenModel } from './schemas.ts';

// Open: other token facts (binding, usage) join this model as they are built.
const TokenSelfModel = Type.Object(
  {
    ...TokenModel.properties,
    token_kind: Type.String({ description: 'api, server, oauth or config, as in the token inventory' }),
    type: Type.Union(
      ['personal', 'service', 'server', 'oauth', 'config'].map((k) => Type.Literal(k)),
      {
        description:
          "What the token is for, as its kind letter says (tshub_p_, _s_, _v_, _o_): personal (a user's own), service, server (a single-user server's), oauth, config",
      },
    ),
    state: Type.Literal('active', {
      description:
        'Always active: a token that is not (revoked, expired, blocked by policy) is refused before this answers',
    }),
    replaced_by: Type.Union([Type.String(), Type.Null()], {
      description: 'The successor of a token rotated with a grace period, which this token still is in',
    }),
  },
  { additionalProperties: true },
);

/** The OAuth client's description, as the token list shows it (the hub's own tokens say JupyterHub). */
async function clientDescription(ctx: HubContext, clientId: string): Promise<string> {
  if (clientId === 'jupyterhub') return 'JupyterHub';
  const c = await ctx.k
    .selectFrom('oauth_clients')
    .select('description')
    .where('identifier', '=', clientId)
    .executeTakeFirst();
  return c?.description || clientId;
}

/** GET /hub/api/tokens/self: the token this request is made with, as its holder may see it. */
export function registerTokenSelfRoutes(app: HubServer, ctx: HubContext, prefix: string): void {
  app.get(
    `${prefix}/tokens/self`,
    {
      schema: {
        tags: ['tokens'],
        summary: 'tshub: the token this request is made with (state, expiry, scopes, last use, kind)',
        description:
          'Needs no scope: a token may always describe itself. `scopes` are what the request may do. 400 `no_token_in_hand` for a browser session.',
        response: { 200: TokenSelfModel, ...errorResponses },
      },
    },
    async (req) => {
      const p = requirePrincipal(ctx, req);
      const row = p.token;
      if (!row) throw noTokenInHand();
      return {
        ...presentToken(row, p.name, [...p.scopes].sort(), await clientDescription(ctx, row.client_id)),
        token_kind: row.kind,
        type: tokenKindName(row),
        state: 'active' as const,
        replaced_by: row.replaced_by === null ? null : `a${row.replaced_by}`,
      };
    },
  );
}
