import type { HubContext } from '../context.ts';
import type { HubServer } from '../http/server.ts';
import { registerActivityRoutes } from './activity.ts';
import { registerAuditRoutes } from './audit.ts';
import { registerGroupRoutes } from './groups.ts';
import { registerProxyRoutes } from './proxy.ts';
import { ReadCache } from './read-cache.ts';
import { registerRootRoutes } from './root.ts';
import { registerServerRoutes } from './servers.ts';
import { registerServiceRoutes } from './services.ts';
import { registerTokenRoutes } from './tokens.ts';
import { registerUserRoutes } from './users.ts';

/** Every REST route under `prefix` (…/hub/api). */
export function registerApi(app: HubServer, ctx: HubContext, prefix: string): void {
  const reads = new ReadCache(ctx.db.writes);
  registerRootRoutes(app, ctx, prefix, reads);
  registerUserRoutes(app, ctx, prefix, reads);
  registerTokenRoutes(app, ctx, prefix);
  registerServerRoutes(app, ctx, prefix);
  registerActivityRoutes(app, ctx, prefix);
  registerGroupRoutes(app, ctx, prefix);
  registerServiceRoutes(app, ctx, prefix);
  registerProxyRoutes(app, ctx, prefix);
  registerAuditRoutes(app, ctx, prefix);
  // CORS preflight: JupyterHub answers OPTIONS on every API path.
  for (const path of [prefix, `${prefix}/*`]) {
    app.options(path, { schema: { hide: true } }, async (_req, reply) => {
      reply.header('Access-Control-Allow-Headers', 'accept, content-type, authorization, x-xsrftoken');
      reply.header('Access-Control-Allow-Methods', 'GET, POST, PUT, PATCH, DELETE, OPTIONS');
      return reply.code(200).send();
    });
  }
}
