import { Type } from 'typebox';
import { callerOf } from '../commands/deps.ts';
import {
  createServiceToken,
  findServiceToken,
  revokeServiceToken,
  rotateServiceToken,
} from '../commands/services/index.ts';
import type { HubContext } from '../context.ts';
import type { ServiceRow, TokenRow } from '../db/index.ts';
import type { HubServer } from '../http/server.ts';
import { listTokens } from '../repo/tokens.ts';
import { issueBound } from '../tokens/binding-set.ts';
import { BindingKeys } from './token-binding.ts';
import { tokenModels } from './token-models.ts';
import { requestedTokenScopes } from '../tokens/requested-scopes.ts';
import { needService } from './access.ts';
import { errorResponses, NoContent, TokenModel } from './schemas.ts';
import {
  IncludeInactive,
  rotateBody,
  rotateOptions,
  tokenList,
  tokenListBody,
  tokenRequestBody,
} from './token-shapes.ts';
import { flagArg } from './users.ts';

const tags = ['services'];
const ServiceName = Type.Object({ name: Type.String() });
const ServiceToken = Type.Object({ name: Type.String(), token_id: Type.String() });
/**
 * Least privilege without a new scope: `admin:services` already governs a service's whole definition,
 * its api_token included, and filtered (`admin:services!service=<name>`) it covers one service only.
 */
const GOVERN = ['admin:services'];

const ServiceTokenModel = Type.Object(
  {
    ...TokenModel.properties,
    token_kind: Type.Union([Type.Literal('api'), Type.Literal('config')], {
      description:
        "tshub: `config` for the services[].api_token of the config file (revoked here until the next start, rotated only in the file); `api` otherwise, including a managed service's run token",
    }),
  },
  { additionalProperties: true },
);

/** The Token models of service tokens, with which of them the config file gave (token_kind). */
async function serviceTokenModels(ctx: HubContext, service: ServiceRow, rows: TokenRow[]) {
  const models = await tokenModels(ctx, 'service', service, rows);
  return models.map((m, i) => ({
    ...m,
    token_kind: rows[i]!.kind === 'config' ? ('config' as const) : ('api' as const),
  }));
}

/** tshub: a service's API tokens (upstream has none): list, create, rotate with grace, revoke. */
export function registerServiceTokenRoutes(app: HubServer, ctx: HubContext, prefix: string): void {
  app.get(
    `${prefix}/services/:name/tokens`,
    {
      schema: {
        tags,
        summary: "tshub: list a service's tokens (its config api_token as token_kind config)",
        params: ServiceName,
        querystring: IncludeInactive,
        response: { 200: tokenList(ServiceTokenModel), ...errorResponses },
      },
    },
    async (req) => {
      const { service } = await needService(ctx, req, GOVERN, req.params.name);
      const now = Date.now();
      const inactive = flagArg(req.query.include_inactive);
      const rows = await listTokens(
        ctx.k,
        { kind: 'service', id: service.id },
        { nowIso: new Date(now).toISOString(), includeInactive: inactive },
      );
      const models = await serviceTokenModels(ctx, service, rows);
      return tokenListBody(models, rows, now, inactive);
    },
  );

  app.post(
    `${prefix}/services/:name/tokens`,
    {
      config: { rateLimit: 'token_create' },
      schema: {
        tags,
        summary: 'tshub: create a token for a service',
        params: ServiceName,
        body: tokenRequestBody(BindingKeys),
        response: { 201: ServiceTokenModel, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { p, service } = await needService(ctx, req, GOVERN, req.params.name);
      const body = req.body ?? {};
      const ownerSet = await ctx.principals.ownerScopes('service', service.id, service.name);
      const scopes = await requestedTokenScopes(
        ctx.k,
        ctx.config,
        body,
        { kind: 'service', name: service.name },
        ownerSet,
        (name) => ctx.principals.role(name),
      );
      const caller = callerOf(req);
      const { token, row } = await issueBound(ctx, caller, body, null, () =>
        createServiceToken(ctx, caller, {
          service,
          note: body.note || `Requested via api by ${p.kind} ${p.name}`,
          scopes,
          expiresIn: body.expires_in,
        }),
      );
      reply.code(201);
      const [model] = await serviceTokenModels(ctx, service, [row]);
      return { ...model, token };
    },
  );

  app.get(
    `${prefix}/services/:name/tokens/:token_id`,
    {
      schema: {
        tags,
        summary: "tshub: get one of a service's tokens",
        params: ServiceToken,
        querystring: IncludeInactive,
        response: { 200: ServiceTokenModel, ...errorResponses },
      },
    },
    async (req) => {
      const { service } = await needService(ctx, req, GOVERN, req.params.name);
      const row = await findServiceToken(ctx, service, req.params.token_id, flagArg(req.query.include_inactive));
      return (await serviceTokenModels(ctx, service, [row]))[0];
    },
  );

  app.post(
    `${prefix}/services/:name/tokens/:token_id/rotate`,
    {
      config: { rateLimit: 'token_create' },
      schema: {
        tags,
        summary: "tshub: replace a service's token; a managed service using it is restarted with the new one",
        params: ServiceToken,
        body: rotateBody(ctx),
        response: { 201: ServiceTokenModel, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { service } = await needService(ctx, req, GOVERN, req.params.name);
      const { token, row } = await rotateServiceToken(ctx, callerOf(req), {
        service,
        tokenId: req.params.token_id,
        ...rotateOptions(req.body),
      });
      reply.code(201);
      const [model] = await serviceTokenModels(ctx, service, [row]);
      return { ...model, token };
    },
  );

  app.delete(
    `${prefix}/services/:name/tokens/:token_id`,
    {
      schema: {
        tags,
        summary: "tshub: revoke one of a service's tokens",
        params: ServiceToken,
        response: { 204: NoContent, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { service } = await needService(ctx, req, GOVERN, req.params.name);
      await revokeServiceToken(ctx, callerOf(req), { service, tokenId: req.params.token_id });
      return reply.code(204).type('text/plain').send();
    },
  );
}
