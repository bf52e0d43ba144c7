import { Type, type Static } from 'typebox';
import Value from 'typebox/value';
import type { FastifyRequest } from 'fastify';
import { requirePrincipal } from '../auth/authenticate.ts';
import type { Principal } from '../auth/principal.ts';
import { callerOf } from '../commands/deps.ts';
import { createService, deleteService } from '../commands/services/index.ts';
import { ServiceSchema } from '../config/schema-services.ts';
import type { ServiceSpec } from '../config/index.ts';
import type { HubContext } from '../context.ts';
import type { ServiceRow } from '../db/index.ts';
import type { HubServer } from '../http/server.ts';
import { alreadyExists, invalidRequest, NO_ACCESS_MESSAGE, notFound } from '../errors/index.ts';
import { checkAccess, filterAllowsService, scopeFilter } from '../rbac/index.ts';
import { roleNamesByHolder } from '../repo/roles.ts';
import { allServices, findService } from '../repo/services.ts';
import { need, needService, scopesFirst } from './access.ts';
import { presentServices, type ServiceFacts } from './present-service.ts';
import { ErrorModel, errorResponses, NoContent, ServiceModel } from './schemas.ts';

const tags = ['services'];
const ServiceName = Type.Object({ name: Type.String() });

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

/** What the Service models of `rows` show beside the rows: roles, and managed services' commands and pids. */
export async function loadServiceFacts(ctx: HubContext, rows: ServiceRow[]): Promise<ServiceFacts> {
  const pids = new Map<string, number>();
  for (const s of rows) {
    const pid = ctx.services.pid(s.name);
    if (pid !== null) pids.set(s.name, pid);
  }
  return {
    baseUrl: ctx.baseUrl,
    roles: await roleNamesByHolder(
      ctx.k,
      'service',
      rows.map((s) => s.id),
    ),
    commands: new Map(ctx.config.services.flatMap((c) => (c.command ? [[c.name, c.command] as const] : []))),
    pids,
  };
}

export function registerServiceRoutes(app: HubServer, ctx: HubContext, prefix: string): void {
  const present = async (rows: ServiceRow[], p: Principal) =>
    presentServices(rows, await loadServiceFacts(ctx, rows), p);
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
      const models = await present(rows, p);
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
      const [model] = await present([service], p);
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
      // Defaults as for a config service; the path's name wins over one in the body, as upstream.
      const spec = Value.Default(
        ServiceSchema,
        structuredClone({ ...(body as Static<typeof ServiceBody>), name }),
      ) as ServiceSpec;
      const row = await createService(ctx, callerOf(req), spec);
      reply.code(201);
      const [model] = await present([row], p);
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
      const { service } = await needService(ctx, req, ['admin:services'], req.params.name);
      await deleteService(ctx, callerOf(req), { name: service.name });
      return reply.code(200).send();
    },
  );
}
