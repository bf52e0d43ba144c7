import { Type, type Static } from 'typebox';
import Value from 'typebox/value';
import type { FastifyRequest } from 'fastify';
import { requirePrincipal } from '../auth/authenticate.ts';
import type { Principal } from '../auth/principal.ts';
import { ensureConfigToken } from '../bootstrap/config-tokens.ts';
import { ServiceSchema, SERVICE_NAME_PATTERN } from '../config/schema-services.ts';
import type { ServiceSpec } from '../config/index.ts';
import type { HubContext } from '../context.ts';
import type { HubServer } from '../http/server.ts';
import { alreadyExists, invalidRequest, NO_ACCESS_MESSAGE, notFound, notModifiable } from '../errors/index.ts';
import { checkAccess, defaultRoles, filterAllowsService, scopeFilter } from '../rbac/index.ts';
import { findRole, grantRole } from '../repo/roles.ts';
import { allServices, deleteServiceWithRecords, findService, upsertService } from '../repo/services.ts';
import { hasOAuthClient, oauthClientId, routeTarget, servicePrefix, upsertServiceClient } from '../services/index.ts';
import { need, needService, scopesFirst } from './access.ts';
import { presentServices } from './present-service.ts';
import { requestedTokenScopes } from './token-scopes.ts';
import { ErrorModel, errorResponses, NoContent, ServiceModel } from './schemas.ts';

const tags = ['services'];
const ServiceName = Type.Object({ name: Type.String() });
const NAME_RE = new RegExp(SERVICE_NAME_PATTERN);

/** The spec keys (API.md §5), all optional; unknown keys are refused. `name` comes from the path. */
const ServiceBody = Type.Partial(ServiceSchema, {
  additionalProperties: false,
  description: "A service spec (JupyterHub's keys); the name is taken from the path.",
});

/**
 * admin:services on this service, checked before the body is validated so that, as upstream, a
 * request for a name the caller may not touch is 404 and one for an existing service is 409.
 */
async function adminServicesOn(ctx: HubContext, req: FastifyRequest<{ Params: { name: string } }>): Promise<Principal> {
  const p = requirePrincipal(ctx, req);
  const name = req.params.name;
  // A filtered admin:services (!service=<name>) covers that name before the service exists.
  if (checkAccess(p.scopes, ['admin:services'], { kind: 'service', name }) !== 'ok') throw notFound(NO_ACCESS_MESSAGE);
  if (await findService(ctx.k, name)) throw alreadyExists(`Service ${name} already exists`);
  return p;
}

/** Upstream's _check_service_scopes: `admin` and OAuth client scopes may not exceed the requester's. */
async function checkSpecScopes(ctx: HubContext, p: Principal, spec: ServiceSpec): Promise<void> {
  const requested = [...spec.oauth_client_allowed_scopes];
  if (spec.admin) requested.push(...(defaultRoles().find((r) => r.name === 'admin')?.scopes ?? []));
  if (requested.length === 0) return;
  await requestedTokenScopes(ctx.k, ctx.config, { scopes: requested }, { kind: p.kind, name: p.name }, p.scopes);
}

export function registerServiceRoutes(app: HubServer, ctx: HubContext, prefix: string): void {
  app.get(
    `${prefix}/services`,
    {
      schema: {
        tags,
        summary: 'List services (a dict by name, as JupyterHub returns)',
        response: { 200: Type.Record(Type.String(), ServiceModel), ...errorResponses },
      },
    },
    async (req) => {
      const p = need(ctx, req, ['list:services']);
      const filter = scopeFilter(p.scopes, 'list:services')!;
      const rows = (await allServices(ctx.k)).filter((s) => filterAllowsService(filter, s.name));
      const models = await presentServices(ctx, rows, p);
      return Object.fromEntries(models.map((m) => [m.name as string, m]));
    },
  );

  app.get(
    `${prefix}/services/:name`,
    {
      schema: {
        tags,
        summary: 'Get a service',
        params: ServiceName,
        response: { 200: ServiceModel, ...errorResponses },
      },
    },
    async (req) => {
      const { p, service } = await needService(
        ctx,
        req,
        ['read:services', 'read:services:name', 'read:roles:services'],
        req.params.name,
      );
      const [model] = await presentServices(ctx, [service], p);
      return model;
    },
  );

  app.post(
    `${prefix}/services/:name`,
    {
      preParsing: scopesFirst(ctx, ['admin:services']),
      preValidation: async (req) =>
        void (await adminServicesOn(ctx, req as FastifyRequest<{ Params: { name: string } }>)),
      schema: {
        tags,
        summary: 'Create an external service (one without `command`) at runtime',
        params: ServiceName,
        body: ServiceBody,
        response: { 201: ServiceModel, ...errorResponses },
      },
      // The handler words the 400 itself: the validator's messages are hard to read for this schema.
      attachValidation: true,
    },
    async (req, reply) => {
      const name = req.params.name;
      const p = requirePrincipal(ctx, req); // its scopes were checked in preValidation
      const body = req.body as unknown;
      if (!body || typeof body !== 'object' || Array.isArray(body) || Object.keys(body).length === 0)
        throw invalidRequest('Invalid service data');
      if (req.validationError) {
        const unknown = Object.keys(body).filter((k) => !(k in ServiceSchema.properties));
        if (unknown.length > 0) throw invalidRequest(`Invalid service data: unknown keys ${unknown.join(', ')}`);
        throw invalidRequest(`Invalid service data: ${req.validationError.message}`);
      }
      if (!NAME_RE.test(name))
        throw invalidRequest(
          `Invalid service name: ${JSON.stringify(name)}; use letters, digits, ".", "_" and "-", starting with a letter or digit`,
        );
      // Defaults as for a config service; the path's name wins over one in the body, as upstream.
      const spec = Value.Default(
        ServiceSchema,
        structuredClone({ ...(body as Static<typeof ServiceBody>), name }),
      ) as ServiceSpec;
      await checkSpecScopes(ctx, p, spec);
      if (spec.command !== null) throw invalidRequest(`Can not create managed service ${name} at runtime`);
      if (spec.api_token !== null && (await ctx.identifier.identify(spec.api_token)).ok) {
        throw invalidRequest(`Failed to create service ${name}: its api_token is already in use`);
      }
      const clientId = hasOAuthClient(spec) ? oauthClientId(spec) : null;
      const row = await ctx.k.transaction().execute(async (trx) => {
        // Checked again here: a concurrent POST of the same name must not turn into an update.
        if (await findService(trx, name)) throw alreadyExists(`Service ${name} already exists`);
        const row = await upsertService(trx, {
          name,
          admin: spec.admin,
          url: spec.url,
          oauth_client_id: clientId,
          info: spec.info,
          display: spec.display,
          from_config: false,
        });
        // `admin: true` is deprecated upstream but still honoured: it grants the admin role.
        const adminRole = spec.admin ? await findRole(trx, 'admin') : undefined;
        if (adminRole) await grantRole(trx, 'service', row.id, adminRole.id);
        if (spec.api_token !== null)
          await ensureConfigToken(
            trx,
            { kind: 'service', id: row.id },
            spec.api_token,
            `service ${name} token from the API`,
          );
        if (clientId !== null) await upsertServiceClient(trx, spec, ctx.baseUrl, spec.api_token);
        return row;
      });
      ctx.permissions.invalidate();
      if (spec.url) {
        try {
          await ctx.proxy.addRoute(servicePrefix(ctx.baseUrl, name), routeTarget(spec.url), { service: name });
        } catch (err) {
          // The route checker adds it on its next round; the service exists either way.
          req.log.warn({ service: name, err: (err as Error).message }, 'could not add the service route now');
        }
        ctx.services.checkSoon(name, spec.url);
      }
      req.log.info({ actor: p.name, service: name, url: spec.url }, 'created service');
      reply.code(201);
      const [model] = await presentServices(ctx, [row], p);
      return model;
    },
  );

  app.delete(
    `${prefix}/services/:name`,
    {
      preParsing: scopesFirst(ctx, ['admin:services']),
      schema: {
        tags,
        summary: 'Delete a service created through the API (not one from the config file)',
        params: ServiceName,
        response: { 200: NoContent, 405: ErrorModel, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { p, service } = await needService(ctx, req, ['admin:services'], req.params.name);
      if (service.from_config === 1) throw notModifiable(`Service ${service.name} is not modifiable at runtime`);
      await deleteServiceWithRecords(ctx.k, service);
      ctx.permissions.invalidate();
      if (service.url) {
        try {
          await ctx.proxy.deleteRoute(servicePrefix(ctx.baseUrl, service.name));
        } catch (err) {
          req.log.warn(
            { service: service.name, err: (err as Error).message },
            'could not delete the service route now',
          );
        }
      }
      req.log.info({ actor: p.name, service: service.name }, 'deleted service');
      return reply.code(200).send();
    },
  );
}
