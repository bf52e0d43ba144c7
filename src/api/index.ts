import type { HubContext } from '../context.ts';
import { registerApiNotFound } from '../http/errors.ts';
import { routePolicyDefaults } from '../http/route-policy.ts';
import { registerApiDocs, type HubServer } from '../http/server.ts';
import { registerActivityRoutes } from './activity.ts';
import { registerAuditRoutes } from './audit.ts';
import { registerBatchSpawnerRoutes } from './batchspawner.ts';
import { registerCredentialsRevokeRoute } from './credentials-revoke.ts';
import { registerGroupRoutes } from './groups.ts';
import { registerProxyRoutes } from './proxy.ts';
import { ReadCache } from './read-cache.ts';
import { registerRootRoutes } from './root.ts';
import { registerServerLogRoutes } from './server-logs.ts';
import { registerServerRoutes } from './servers.ts';
import { registerServiceRoutes } from './services.ts';
import { registerShareCodeRoutes } from './share-codes.ts';
import { registerShareRoutes } from './shares.ts';
import { registerSharedWithRoutes } from './shares-shared.ts';
import { registerSignupRoutes } from './signups.ts';
import { registerTokenInventoryRoutes } from './token-inventory.ts';
import { registerServiceTokenRoutes } from './service-tokens.ts';
import { registerTokenRoutes } from './tokens.ts';
import { registerTokenUsageRoutes } from './token-usage.ts';
import { registerTokenSelfRoutes } from './token-self.ts';
import { registerUserRoutes } from './users.ts';

/**
 * Every REST route under `prefix` (…/hub/api), in a Fastify context of their own whose routes are rate
 * limited (the `default` class) unless they name another, and the API's 404 for the paths in between.
 * Await it, after the hub's request hooks are added: the context takes those it finds when it loads.
 */
export async function registerApi(app: HubServer, ctx: HubContext, prefix: string): Promise<void> {
  await app.register(async (api: HubServer) => {
    routePolicyDefaults(api, { rateLimit: 'default' });
    const reads = new ReadCache(ctx.db.writes, ctx.config.read_cache);
    registerRootRoutes(api, ctx, prefix, reads);
    registerUserRoutes(api, ctx, prefix, reads);
    registerTokenRoutes(api, ctx, prefix);
    registerTokenSelfRoutes(api, ctx, prefix);
    registerTokenInventoryRoutes(api, ctx, prefix);
    registerTokenUsageRoutes(api, ctx, prefix);
    registerServerRoutes(api, ctx, prefix);
    registerActivityRoutes(api, ctx, prefix);
    registerGroupRoutes(api, ctx, prefix);
    registerServiceRoutes(api, ctx, prefix);
    registerServiceTokenRoutes(api, ctx, prefix);
    registerProxyRoutes(api, ctx, prefix);
    registerAuditRoutes(api, ctx, prefix);
    registerSignupRoutes(api, ctx, prefix);
    registerBatchSpawnerRoutes(api, ctx, prefix);
    registerServerLogRoutes(api, ctx, prefix);
    registerShareRoutes(api, ctx, prefix);
    registerSharedWithRoutes(api, ctx, prefix);
    registerShareCodeRoutes(api, ctx, prefix);
    registerCredentialsRevokeRoute(api, ctx, prefix);
    await registerApiDocs(api, prefix);
    // CORS preflight: JupyterHub answers OPTIONS on every API path.
    for (const path of [prefix, `${prefix}/*`]) {
      api.options(path, { schema: { hide: true } }, async (_req, reply) => {
        reply.header('Access-Control-Allow-Headers', 'accept, content-type, authorization, x-xsrftoken');
        reply.header('Access-Control-Allow-Methods', 'GET, POST, PUT, PATCH, DELETE, OPTIONS');
        return reply.code(200).send();
      });
    }
  });
  await registerApiNotFound(app, prefix);
}
