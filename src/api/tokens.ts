import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import type { HubContext } from '../context.ts';
import type { UserRow } from '../db/index.ts';
import type { HubServer } from '../http/server.ts';
import { credentialsError, requirePrincipal } from '../auth/authenticate.ts';
import type { Principal } from '../auth/principal.ts';
import { principalForUser } from '../auth/session.ts';
import { authenticatePassword } from '../auth/authenticators.ts';
import { noTokenInHand, selfTokenNotOwned, tokenCreateForbidden } from '../errors/index.ts';
import { checkAccess } from '../rbac/index.ts';
import { listTokens } from '../repo/tokens.ts';
import { allGroupNamesByUser } from '../repo/groups.ts';
import { findUser } from '../repo/users.ts';
import { actorOf, originOf } from '../audit/index.ts';
import { callerOf } from '../commands/deps.ts';
import {
  createToken,
  findOwnToken,
  revokeAllTokens,
  revokeToken,
  rotateToken,
  rotateTokenRow,
} from '../commands/tokens/index.ts';
import { needUser } from './access.ts';
import { requestedTokenScopes } from '../tokens/requested-scopes.ts';
import { flagArg } from './users.ts';
import { errorResponses, NoContent, TokenModel } from './schemas.ts';
import { BindingKeys, registerTokenBindingRoutes } from './token-binding.ts';
import { tokenModels } from './token-models.ts';
import { issueBound } from '../tokens/binding-set.ts';
import {
  IncludeInactive,
  rotateBody,
  rotateOptions,
  tokenList,
  tokenListBody,
  tokenRequestBody,
} from './token-shapes.ts';

const tags = ['tokens'];
const UserName = Type.Object({ name: Type.String() });
const UserToken = Type.Object({ name: Type.String(), token_id: Type.String() });
export function registerTokenRoutes(app: HubServer, ctx: HubContext, prefix: string): void {
  registerTokenBindingRoutes(app, ctx, prefix, (user, rows) => tokenModels(ctx, 'user', user, rows));
  app.get(
    `${prefix}/users/:name/tokens`,
    {
      schema: {
        tags,
        summary: "List a user's tokens",
        params: UserName,
        querystring: IncludeInactive,
        response: { 200: tokenList(TokenModel), ...errorResponses },
      },
    },
    async (req) => {
      const { user } = await needUser(ctx, req, ['read:tokens'], req.params.name);
      const now = Date.now();
      const all = await listTokens(
        ctx.k,
        { kind: 'user', id: user.id },
        { nowIso: new Date(now).toISOString(), includeInactive: flagArg(req.query.include_inactive) },
      );
      const models = await tokenModels(ctx, 'user', user, all);
      return tokenListBody(models, all, now, flagArg(req.query.include_inactive));
    },
  );

  app.post(
    `${prefix}/users/:name/tokens`,
    {
      config: { rateLimit: 'token_create' },
      schema: {
        tags,
        summary: 'Create a token',
        params: UserName,
        body: tokenRequestBody({
          auth: Type.Optional(Type.Object({}, { additionalProperties: true })),
          ...BindingKeys,
        }),
        response: { 201: TokenModel, ...errorResponses },
      },
    },
    async (req, reply) => {
      const body = req.body ?? {};
      const requester = await requesterForTokenRequest(ctx, req, body.auth as Record<string, unknown> | undefined);
      const target = await findUser(ctx.k, req.params.name);
      const kind = requester.kind;
      if (!target || !(await mayManageTokens(ctx, requester, target)))
        throw tokenCreateForbidden(kind, req.params.name);
      const ownerSet = await ctx.principals.ownerScopes('user', target.id, target.name);
      const scopes = await requestedTokenScopes(
        ctx.k,
        ctx.config,
        body,
        { kind: 'user', name: target.name },
        ownerSet,
        (name) => ctx.principals.role(name),
      );
      const self = requester.kind === 'user' && requester.id === target.id;
      const note = body.note || `Requested via api${self ? '' : ` by ${kind} ${requester.name}`}`;
      const caller = { origin: originOf(req, actorOf(requester)), principal: requester };
      const { token, row } = await issueBound(ctx, caller, body, target.name, () =>
        createToken(ctx, caller, { user: target, note, scopes, expiresIn: body.expires_in }),
      );
      reply.code(201);
      const [model] = await tokenModels(ctx, 'user', target, [row]);
      return { ...model, token };
    },
  );

  app.delete(
    `${prefix}/users/:name/tokens`,
    {
      schema: {
        tags,
        summary: "tshub: revoke all of a user's tokens (except its servers' own)",
        params: UserName,
        response: { 200: Type.Object({ revoked: Type.Integer() }), ...errorResponses },
      },
    },
    async (req) => {
      const { user } = await needUser(ctx, req, ['tokens'], req.params.name);
      return { revoked: await revokeAllTokens(ctx, callerOf(req), { user }) };
    },
  );

  app.get(
    `${prefix}/users/:name/tokens/:token_id`,
    {
      schema: {
        tags,
        summary: 'Get a token',
        params: UserToken,
        querystring: Type.Object({ include_inactive: Type.Optional(Type.String()) }),
        response: { 200: TokenModel, ...errorResponses },
      },
    },
    async (req) => {
      const { user } = await needUser(ctx, req, ['read:tokens'], req.params.name);
      const row = await findOwnToken(ctx.k, user, req.params.token_id, flagArg(req.query.include_inactive));
      return (await tokenModels(ctx, 'user', user, [row]))[0];
    },
  );

  app.delete(
    `${prefix}/users/:name/tokens/:token_id`,
    {
      schema: { tags, summary: 'Revoke a token', params: UserToken, response: { 204: NoContent, ...errorResponses } },
    },
    async (req, reply) => {
      const { user } = await needUser(ctx, req, ['tokens'], req.params.name);
      await revokeToken(ctx, callerOf(req), { user, tokenId: req.params.token_id });
      return reply.code(204).type('text/plain').send();
    },
  );

  app.post(
    `${prefix}/users/:name/tokens/:token_id/rotate`,
    {
      config: { rateLimit: 'token_create' },
      schema: {
        tags,
        summary: 'tshub: replace a token by a new one with the same note, scopes and lifetime',
        params: UserToken,
        body: rotateBody(ctx),
        response: { 201: TokenModel, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { user } = await needUser(ctx, req, ['tokens'], req.params.name);
      const { token, row } = await rotateToken(ctx, callerOf(req), {
        user,
        tokenId: req.params.token_id,
        ...rotateOptions(req.body),
      });
      reply.code(201);
      const [model] = await tokenModels(ctx, 'user', user, [row]);
      return { ...model, token };
    },
  );

  app.post(
    `${prefix}/users/:name/tokens/self/rotate`,
    {
      config: { rateLimit: 'token_create' },
      schema: {
        tags,
        summary: 'tshub: replace the token this request is made with by a new one (same note, scopes and lifetime)',
        description:
          "Needs no scope: whoever holds a token may replace it by one that can do no more. 400 `no_token_in_hand` for a browser session; 404 when the token is not this user's.",
        params: UserName,
        body: rotateBody(ctx),
        response: { 201: TokenModel, ...errorResponses },
      },
    },
    async (req, reply) => {
      const p = requirePrincipal(ctx, req);
      if (!p.token) throw noTokenInHand();
      const user = await findUser(ctx.k, req.params.name);
      if (!user || p.token.user_id !== user.id) throw selfTokenNotOwned(req.params.name);
      const owner = { kind: 'user' as const, id: user.id, name: user.name };
      const { token, row } = await rotateTokenRow(ctx, callerOf(req), p.token, owner, rotateOptions(req.body));
      reply.code(201);
      const [model] = await tokenModels(ctx, 'user', user, [row]);
      return { ...model, token };
    },
  );
}

/** The caller, or for a request without credentials the user named by `auth` (username/password). */
async function requesterForTokenRequest(
  ctx: HubContext,
  req: FastifyRequest,
  auth: Record<string, unknown> | undefined,
): Promise<Principal> {
  if (req.principal) return req.principal;
  const name = auth ? await authenticatePassword(ctx, auth, { ip: req.ip }) : null;
  const user = name ? await findUser(ctx.k, name) : undefined;
  if (!user) throw credentialsError(ctx, req.authFailure ?? 'credentials_missing');
  return principalForUser(ctx, user, null);
}

async function mayManageTokens(ctx: HubContext, p: Principal, target: UserRow): Promise<boolean> {
  const without = checkAccess(p.scopes, ['tokens'], { kind: 'user', name: target.name, groups: [] });
  // The target's groups can only turn a 'not_found' into 'ok' (through a `tokens!group=` scope): read them just then.
  if (without !== 'not_found') return without === 'ok';
  const groups = await allGroupNamesByUser(ctx.k, target.name);
  return checkAccess(p.scopes, ['tokens'], { kind: 'user', name: target.name, groups }) === 'ok';
}
