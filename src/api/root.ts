import { Type } from 'typebox';
import type { HubContext } from '../context.ts';
import type { HubServer } from '../http/server.ts';
import { requirePrincipal } from '../auth/authenticate.ts';
import { identifyScopes } from '../rbac/index.ts';
import { findService } from '../repo/services.ts';
import { need } from './access.ts';
import { presentServices } from './present-service.ts';
import { membershipsOf, presentUsers, userFieldFilters } from './present-user.ts';
import { errorResponses } from './schemas.ts';
import { flagArg } from './users.ts';

export function registerRootRoutes(app: HubServer, ctx: HubContext, prefix: string): void {
  app.get(`${prefix}/`, {
    schema: {
      tags: ['hub'], summary: 'API version (no authentication)', security: [],
      response: { 200: Type.Object({ version: Type.String(), tshub_version: Type.String() }) },
    },
  }, async (_req, reply) => {
    reply.header('Access-Control-Allow-Origin', '*');
    return { version: ctx.apiVersion, tshub_version: ctx.version };
  });

  app.get(`${prefix}/info`, {
    schema: { tags: ['hub'], summary: 'Hub details', response: { 200: Type.Object({}, { additionalProperties: true }), ...errorResponses } },
  }, async (req) => {
    need(ctx, req, ['read:hub']);
    return {
      version: ctx.apiVersion,
      tshub_version: ctx.version,
      python: null,
      sys_executable: process.execPath,
      node: process.version,
      spawner: { class: ctx.config.spawner.class, version: ctx.version },
      authenticator: { class: ctx.config.authenticator.class, version: ctx.version },
    };
  });

  app.get(`${prefix}/user`, {
    schema: {
      tags: ['hub'], summary: 'Identify the caller (whoami)',
      querystring: Type.Object({ include_stopped_servers: Type.Optional(Type.String()) }),
      response: { 200: Type.Object({ kind: Type.String(), name: Type.String(), scopes: Type.Array(Type.String()), token_id: Type.Union([Type.String(), Type.Null()]), session_id: Type.Union([Type.String(), Type.Null()]) }, { additionalProperties: true }), ...errorResponses },
    },
  }, async (req) => {
    const p = requirePrincipal(ctx, req);
    // Identify scopes are always granted here, but reported only if the caller really holds them.
    const reported = [...p.scopes].sort();
    const who = p.kind === 'user' ? ({ kind: 'user', name: p.name } as const) : ({ kind: 'service', name: p.name } as const);
    const withIdentify = { ...p, scopes: new Set([...p.scopes, ...identifyScopes(who)]) };
    let model: Record<string, unknown>;
    if (p.kind === 'user') {
      const user = p.user!;
      // Clients ask whoami on every request they check (HubAuth, scripts): of its three lookups, only
      // the servers' state can change without making a new principal.
      const own = (p.memberships ??= await membershipsOf(ctx.k, user.id));
      const memberships = { groups: new Map([[user.id, own.groups]]), roles: new Map([[user.id, own.roles]]) };
      [model] = (await presentUsers(ctx.k, [user], userFieldFilters(withIdentify), {
        baseUrl: ctx.baseUrl, includeStoppedServers: flagArg(req.query.include_stopped_servers), memberships,
      })) as [Record<string, unknown>];
    } else {
      const service = (await findService(ctx.k, p.name))!;
      [model] = (await presentServices(ctx, [service], withIdentify)) as [Record<string, unknown>];
    }
    return { ...model, token_id: p.token ? `a${p.token.id}` : null, session_id: p.sessionId, scopes: reported };
  });

  for (const path of [`${prefix}/health`]) {
    app.get(path, { schema: { tags: ['hub'], summary: 'Health check', security: [] } }, async () => ({ status: 'ok' }));
  }
}
