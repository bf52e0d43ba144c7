import type { FastifyContextConfig, FastifyInstance, FastifyRequest } from 'fastify';

/**
 * The rate-limit class of a route: `default` charges the caller's token, principal (or address)
 * buckets; `token_create` and `spawn` also charge that stricter bucket; `none` (pages, health, metrics)
 * is not limited.
 */
export type RateClass = 'default' | 'token_create' | 'spawn' | 'none';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** How the rate limiter charges requests to this route (none when unset). */
    rateLimit?: RateClass;
    /** false: the route authenticates browsers itself (the OAuth endpoints); the login cookie is not read here. */
    cookieAuth?: boolean;
  }
}

/**
 * Gives every route declared on `app` (an encapsulated plugin) from now on the `defaults` it does not
 * set itself: the API's routes are rate limited unless one says otherwise.
 */
export function routePolicyDefaults(
  app: FastifyInstance<any, any, any, any, any>,
  defaults: FastifyContextConfig,
): void {
  app.addHook('onRoute', (route) => {
    route.config = { ...defaults, ...route.config };
  });
}

export function rateClassOf(req: FastifyRequest): RateClass {
  return req.routeOptions.config.rateLimit ?? 'none';
}

export function cookieAuthAllowed(req: FastifyRequest): boolean {
  return req.routeOptions.config.cookieAuth !== false;
}
