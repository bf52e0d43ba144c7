import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import type { HubContext } from '../context.ts';
import type { TokenRow, UserRow } from '../db/index.ts';
import type { HubServer } from '../http/server.ts';
import { credentialsError } from '../auth/authenticate.ts';
import { effectiveScopes, oauthClientTarget, type Principal } from '../auth/principal.ts';
import { authenticatePassword } from '../auth/authenticators.ts';
import { invalidRequest, HubError, notFound } from '../errors/index.ts';
import { isoIn, isoNow } from '../lib/time.ts';
import { parseJson } from '../lib/json.ts';
import { checkAccess } from '../rbac/index.ts';
import { activeTokenIds, findTokenById, listTokens, markRotated, revokeTokens } from '../repo/tokens.ts';
import { allGroupNamesByUser } from '../repo/groups.ts';
import { findUser } from '../repo/users.ts';
import { issueToken } from '../tokens/issue.ts';
import { parseTokenId, presentToken } from '../tokens/present.ts';
import { judge } from '../auth/identify-token.ts';
import { actorOf, originOf, tokenTarget } from '../audit/index.ts';
import { needUser } from './access.ts';
import { requestedTokenScopes } from './token-scopes.ts';
import { flagArg } from './users.ts';
import { errorResponses, NoContent, TokenModel } from './schemas.ts';

const tags = ['tokens'];
const UserName = Type.Object({ name: Type.String() });
const UserToken = Type.Object({ name: Type.String(), token_id: Type.String() });
const MAX_EXPIRES_IN = 100 * 365 * 86400;
const StringList = Type.Union([Type.Array(Type.String()), Type.Null()]);
const NOT_ROTATABLE: Record<string, string> = {
  server: 'belongs to a server and is replaced by the hub itself',
  oauth: 'was issued to an OAuth client, which gets a new one by logging in again',
  config: 'is given in the config file; change it there',
};

export function registerTokenRoutes(app: HubServer, ctx: HubContext, prefix: string): void {
  const scopeOpts = { customScopes: ctx.config.custom_scopes };
  const presentFor = async (user: UserRow, rows: TokenRow[]) => {
    const ownerSet = await ctx.principals.ownerScopes('user', user.id, user.name);
    const clients = new Map<string, string>([['jupyterhub', 'JupyterHub']]);
    const out = [];
    for (const row of rows) {
      if (!clients.has(row.client_id)) {
        const c = await ctx.k
          .selectFrom('oauth_clients')
          .select('description')
          .where('identifier', '=', row.client_id)
          .executeTakeFirst();
        clients.set(row.client_id, c?.description || row.client_id);
      }
      const oauthClient = await oauthClientTarget(ctx.k, row.client_id);
      const scopes = await effectiveScopes(ctx.k, parseJson<string[]>(row.scopes, []), 'user', user.name, ownerSet, {
        ...scopeOpts,
        oauthClient,
      });
      out.push(presentToken(row, user.name, [...scopes].sort(), clients.get(row.client_id)!));
    }
    return out;
  };

  /** The user's token with this id, active unless `includeInactive`; 404 for any mismatch, as upstream. */
  const findOwnToken = async (user: UserRow, tokenId: string, includeInactive: boolean): Promise<TokenRow> => {
    const id = parseTokenId(tokenId);
    const row = id === null ? undefined : await findTokenById(ctx.k, id);
    if (!row || row.user_id !== user.id || (!includeInactive && !judge(row).ok)) {
      throw notFound(`No such token ${tokenId} for user ${user.name}`);
    }
    return row;
  };

  app.get(
    `${prefix}/users/:name/tokens`,
    {
      schema: {
        tags,
        summary: "List a user's tokens",
        params: UserName,
        querystring: Type.Object({
          include_inactive: Type.Optional(
            Type.String({
              description: 'tshub: also list expired, revoked and rotated tokens under `inactive_tokens`',
            }),
          ),
        }),
        response: {
          200: Type.Object({
            api_tokens: Type.Array(TokenModel),
            inactive_tokens: Type.Optional(Type.Array(TokenModel)),
          }),
          ...errorResponses,
        },
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
      const active = all.filter((r) => judge(r, now).ok);
      const body: { api_tokens: unknown[]; inactive_tokens?: unknown[] } = {
        api_tokens: await presentFor(user, active),
      };
      if (flagArg(req.query.include_inactive))
        body.inactive_tokens = await presentFor(
          user,
          all.filter((r) => !judge(r, now).ok),
        );
      return body;
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
        body: Type.Optional(
          Type.Union([
            Type.Null(),
            Type.Object(
              {
                note: Type.Optional(Type.Union([Type.String({ maxLength: 1000 }), Type.Null()])),
                expires_in: Type.Optional(
                  Type.Union([Type.Integer({ minimum: 0, maximum: MAX_EXPIRES_IN }), Type.Null()]),
                ),
                scopes: Type.Optional(StringList),
                roles: Type.Optional(StringList),
                auth: Type.Optional(Type.Object({}, { additionalProperties: true })),
              },
              { additionalProperties: false },
            ),
          ]),
        ),
        response: { 201: TokenModel, ...errorResponses },
      },
    },
    async (req, reply) => {
      const body = req.body ?? {};
      const requester = await requesterForTokenRequest(ctx, req, body.auth as Record<string, unknown> | undefined);
      const target = await findUser(ctx.k, req.params.name);
      const kind = requester.kind;
      if (!target || !(await mayManageTokens(ctx, requester, target))) {
        throw new HubError(
          403,
          `${kind === 'user' ? 'User' : 'Service'} ${req.params.name} not found or no permissions to generate tokens`,
          'insufficient_scope',
        );
      }
      // An absent expires_in takes the configured default; an explicit null or 0 means never (as upstream).
      let expiresIn = body.expires_in === undefined ? ctx.config.tokens.default_expires_in : body.expires_in || null;
      const max = ctx.config.tokens.expires_in_max_seconds;
      if (max) {
        if (expiresIn === null) expiresIn = max;
        else if (expiresIn > max) throw invalidRequest(`token expires_in: ${expiresIn} must not exceed ${max}`);
      }
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
      const { token, row } = await issueToken(ctx.k, ctx.db.kind, {
        owner: { kind: 'user', id: target.id },
        kind: 'api',
        note,
        scopes,
        expiresIn,
        maxActive: ctx.config.tokens.max_active_per_user,
      });
      req.log.info({ actor: requester.name, user: target.name, token_id: `a${row.id}` }, 'token created');
      ctx.audit.record({
        ...originOf(req, actorOf(requester)),
        action: 'token.create',
        target: tokenTarget(row.id, target.name),
        reason: `expires ${row.expires_at ?? 'never'}`,
      });
      reply.code(201);
      const [model] = await presentFor(target, [row]);
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
      const { p, user } = await needUser(ctx, req, ['tokens'], req.params.name);
      const ids = (await activeTokenIds(ctx.k, { userId: user.id })).filter(Boolean);
      const servers = new Set(await activeTokenIds(ctx.k, { userId: user.id, kind: 'server' }));
      const toRevoke = ids.filter((id) => !servers.has(id));
      const revoked = await revokeTokens(ctx.k, toRevoke, isoNow());
      ctx.permissions.invalidate();
      for (const id of toRevoke)
        ctx.audit.record({
          ...originOf(req),
          action: 'token.revoke',
          target: tokenTarget(id, user.name),
          reason: 'all tokens of the user revoked',
        });
      req.log.info({ actor: p.name, user: user.name, revoked }, 'revoked all tokens');
      return { revoked };
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
      const row = await findOwnToken(user, req.params.token_id, flagArg(req.query.include_inactive));
      return (await presentFor(user, [row]))[0];
    },
  );

  app.delete(
    `${prefix}/users/:name/tokens/:token_id`,
    {
      schema: { tags, summary: 'Revoke a token', params: UserToken, response: { 204: NoContent, ...errorResponses } },
    },
    async (req, reply) => {
      const { p, user } = await needUser(ctx, req, ['tokens'], req.params.name);
      const row = await findOwnToken(user, req.params.token_id, false);
      // Revoking an OAuth token revokes every token that client holds for the user, as upstream.
      const ids =
        row.client_id === 'jupyterhub'
          ? [row.id]
          : await activeTokenIds(ctx.k, { userId: user.id, clientId: row.client_id });
      await revokeTokens(ctx.k, ids, isoNow());
      ctx.permissions.invalidate();
      for (const id of ids)
        ctx.audit.record({
          ...originOf(req),
          action: 'token.revoke',
          target: tokenTarget(id, user.name),
          reason: id === row.id ? null : `same OAuth client as ${req.params.token_id}`,
        });
      req.log.info(
        { actor: p.name, user: user.name, token_id: req.params.token_id, count: ids.length },
        'token revoked',
      );
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
        body: Type.Optional(
          Type.Union([
            Type.Null(),
            Type.Object(
              {
                grace_seconds: Type.Optional(
                  Type.Integer({ minimum: 0, maximum: ctx.config.tokens.rotation_max_grace_seconds }),
                ),
              },
              { additionalProperties: false },
            ),
          ]),
        ),
        response: { 201: TokenModel, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { p, user } = await needUser(ctx, req, ['tokens'], req.params.name);
      const id = parseTokenId(req.params.token_id);
      const old = id === null ? undefined : await findTokenById(ctx.k, id);
      if (!old || old.user_id !== user.id) throw notFound(`No such token ${req.params.token_id} for user ${user.name}`);
      const state = judge(old);
      if (!state.ok)
        throw invalidRequest(
          `Token ${req.params.token_id} cannot be rotated: it is ${state.reason.replace('token_', '')}`,
          state.reason,
        );
      if (old.replaced_by !== null) {
        throw invalidRequest(
          `Token ${req.params.token_id} was already rotated (replaced by a${old.replaced_by}); rotate its replacement instead`,
          'token_rotated',
        );
      }
      if (old.kind !== 'api')
        throw invalidRequest(`Token ${req.params.token_id} ${NOT_ROTATABLE[old.kind] ?? 'cannot be rotated'}`);
      let lifetime = old.expires_at
        ? Math.max(1, Math.round((Date.parse(old.expires_at) - Date.parse(old.created)) / 1000))
        : null;
      // The maximum may have been lowered since the old token was made: its successor obeys the current one.
      const max = ctx.config.tokens.expires_in_max_seconds;
      if (max && (lifetime === null || lifetime > max)) lifetime = max;
      const grace = req.body?.grace_seconds ?? 0;
      const graceEnd = isoIn(grace);
      const oldEnd = old.expires_at && old.expires_at < graceEnd ? old.expires_at : graceEnd;
      const { token, row } = await issueToken(
        ctx.k,
        ctx.db.kind,
        {
          owner: { kind: 'user', id: user.id },
          kind: 'api',
          note: old.note,
          scopes: parseJson<string[]>(old.scopes, []),
          expiresIn: lifetime,
          rotatedFrom: old.id,
        },
        async (trx, created) => {
          // In the same transaction as the new token: of two concurrent rotations only one succeeds.
          if (!(await markRotated(trx, old.id, created.id, oldEnd))) {
            throw invalidRequest(`Token ${req.params.token_id} was revoked or rotated meanwhile`, 'token_rotated');
          }
        },
      );
      ctx.permissions.invalidate();
      req.log.info({ actor: p.name, user: user.name, old: `a${old.id}`, new: `a${row.id}`, grace }, 'token rotated');
      ctx.audit.record({
        ...originOf(req),
        action: 'token.rotate',
        target: tokenTarget(old.id, user.name),
        reason: `replaced by a${row.id}; old token works until ${oldEnd}`,
      });
      reply.code(201);
      const [model] = await presentFor(user, [row]);
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
  const ownerSet = await ctx.principals.ownerScopes('user', user.id, user.name);
  return {
    kind: 'user',
    id: user.id,
    name: user.name,
    admin: user.admin === 1,
    user,
    service: null,
    token: null,
    sessionId: null,
    scopes: ownerSet,
    ownerScopes: ownerSet,
  };
}

async function mayManageTokens(ctx: HubContext, p: Principal, target: UserRow): Promise<boolean> {
  const without = checkAccess(p.scopes, ['tokens'], { kind: 'user', name: target.name, groups: [] });
  // The target's groups can only turn a 'not_found' into 'ok' (through a `tokens!group=` scope): read them just then.
  if (without !== 'not_found') return without === 'ok';
  const groups = await allGroupNamesByUser(ctx.k, target.name);
  return checkAccess(p.scopes, ['tokens'], { kind: 'user', name: target.name, groups }) === 'ok';
}
