import { Type } from 'typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../auth/principal.ts';
import type { HubContext } from '../context.ts';
import type { TokenRow } from '../db/index.ts';
import { checkAccess } from '../rbac/index.ts';
import { allGroupNamesByUser } from '../repo/groups.ts';
import { tokenKindName } from '../tokens/issue.ts';
import { type EndpointCaller, endpointCaller, formBody, noStore, param } from './client-auth.ts';
import { type FormEndpoints, registerFormEndpoint } from './form-endpoint.ts';

/** A usable token named by an endpoint's `token` field, with the principal it stands for; null for anything else. */
export async function tokenInQuestion(
  ctx: HubContext,
  raw: string | null | undefined,
): Promise<{ row: TokenRow; owner: Principal } | null> {
  if (!raw) return null;
  // Not a use of the token: nothing is recorded against it (no last use, no activity).
  const { verdict } = await ctx.identifier.identifyStored(raw);
  if (!verdict.ok) return null;
  const owner = await ctx.principals.forToken(verdict.row);
  return owner ? { row: verdict.row, owner } : null;
}

/**
 * Whether `caller` may learn about token `row` of `owner`: a client only about the tokens issued to it,
 * a token holder about its owner's own tokens and the users' whose tokens it may read (read:tokens).
 */
export async function mayInspect(
  ctx: HubContext,
  caller: EndpointCaller,
  row: TokenRow,
  owner: Principal,
): Promise<boolean> {
  if (caller.client) return row.client_id === caller.client.identifier;
  const p = caller.principal;
  if (p.kind === owner.kind && p.id === owner.id) return true;
  if (owner.kind !== 'user') return false;
  const groupFiltered = [...p.scopes].some((s) => s.startsWith('read:tokens!group=') || s.startsWith('tokens!group='));
  const groups = groupFiltered ? await allGroupNamesByUser(ctx.k, owner.name) : [];
  return checkAccess(p.scopes, ['read:tokens'], { kind: 'user', name: owner.name, groups }) === 'ok';
}

const epoch = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/** The RFC 7662 answer for an active token; nothing about any other token is ever said. */
function activeAnswer(ctx: HubContext, row: TokenRow, owner: Principal) {
  return {
    active: true as const,
    scope: [...owner.scopes].sort().join(' '),
    client_id: row.client_id,
    ...(owner.kind === 'user' ? { username: owner.name } : {}),
    token_type: 'Bearer',
    ...(row.expires_at ? { exp: epoch(row.expires_at) } : {}),
    iat: epoch(row.created),
    sub: owner.kind === 'user' ? owner.name : `service:${owner.name}`,
    ...(ctx.config.public_url ? { iss: ctx.config.public_url } : {}),
    jti: `a${row.id}`,
    token_kind: row.kind,
    type: tokenKindName(row),
  };
}

/** POST /hub/api/oauth2/introspect (RFC 7662). */
async function introspect(ctx: HubContext, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const body = formBody(req);
  const caller = await endpointCaller(ctx, req, reply, body);
  if (!caller) return reply;
  const found = await tokenInQuestion(ctx, param(body, 'token'));
  const visible = found && (await mayInspect(ctx, caller, found.row, found.owner));
  return noStore(reply)
    .code(200)
    .send(visible ? activeAnswer(ctx, found.row, found.owner) : { active: false });
}

const str = (description: string) => Type.Optional(Type.String({ description }));

export const EndpointBody = (token: string) =>
  Type.Object(
    {
      token: str(token),
      token_type_hint: str('access_token (the only kind the hub issues); a hint only, never required'),
      client_id: str('The client id (or HTTP Basic, or a hub token in `Authorization: Bearer`)'),
      client_secret: str('The client secret'),
    },
    { additionalProperties: true },
  );

const IntrospectionAnswer = Type.Object(
  {
    active: Type.Boolean({ description: 'false alone for anything but an active token the caller may see' }),
    scope: str('Space-separated scopes the token grants now'),
    client_id: str('The OAuth client the token was issued to (jupyterhub for the hub’s own tokens)'),
    username: str("The owning user's name"),
    token_type: str('Bearer'),
    exp: Type.Optional(Type.Integer({ description: 'Expiry, seconds since the epoch (absent: never)' })),
    iat: Type.Optional(Type.Integer({ description: 'Creation, seconds since the epoch' })),
    sub: str('The owner: a user name, or service:<name>'),
    iss: str('The hub’s public_url, when configured'),
    jti: str('The token id (a<number>)'),
    token_kind: str('api, server, oauth or config, as in the token inventory'),
    type: str('personal, service, server, oauth or config: what the token is for'),
  },
  { additionalProperties: true },
);

export function registerIntrospection(
  app: FastifyInstance<any, any, any, any, any>,
  ctx: HubContext,
  form: FormEndpoints,
): void {
  registerFormEndpoint(
    app,
    form,
    {
      path: '/introspect',
      summary: 'OAuth2 token introspection (RFC 7662)',
      description:
        'Client-authenticated (client_id/client_secret in the form or HTTP Basic: a client sees only tokens issued to it) or with a hub token (sees its owner’s own tokens and those of users it holds read:tokens for). Anything else answers `{"active": false}`.',
      body: EndpointBody('The token to describe'),
      answer: IntrospectionAnswer,
    },
    (req, reply) => introspect(ctx, req, reply),
  );
}
