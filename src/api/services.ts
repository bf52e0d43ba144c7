import { Type } from 'typebox';
import type { HubContext } from '../context.ts';
import type { HubServer } from '../http/server.ts';
import { filterAllowsService, scopeFilter } from '../rbac/index.ts';
import { allServices } from '../repo/services.ts';
import { need, needService } from './access.ts';
import { presentServices } from './present-service.ts';
import { errorResponses, ServiceModel } from './schemas.ts';

const tags = ['services'];

export function registerServiceRoutes(app: HubServer, ctx: HubContext, prefix: string): void {
  app.get(`${prefix}/services`, {
    schema: {
      tags, summary: 'List services (a dict by name, as JupyterHub returns)',
      response: { 200: Type.Record(Type.String(), ServiceModel), ...errorResponses },
    },
  }, async (req) => {
    const p = need(ctx, req, ['list:services']);
    const filter = scopeFilter(p.scopes, 'list:services')!;
    const rows = (await allServices(ctx.k)).filter((s) => filterAllowsService(filter, s.name));
    const models = await presentServices(ctx, rows, p);
    return Object.fromEntries(models.map((m) => [m.name as string, m]));
  });

  app.get(`${prefix}/services/:name`, {
    schema: {
      tags, summary: 'Get a service', params: Type.Object({ name: Type.String() }),
      response: { 200: ServiceModel, ...errorResponses },
    },
  }, async (req) => {
    const { p, service } = await needService(ctx, req, ['read:services', 'read:services:name', 'read:roles:services'], req.params.name);
    const [model] = await presentServices(ctx, [service], p);
    return model;
  });
}
