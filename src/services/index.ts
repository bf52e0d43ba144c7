/** Managed and external services: the supervisor, their routes, OAuth clients and spec helpers. */
export { ServiceSupervisor, type SupervisorDeps, type SupervisorOptions } from './supervisor.ts';
export { serviceRoutes } from './routes.ts';
export { upsertServiceClient } from './oauth.ts';
export { hasOAuthClient, oauthClientId, oauthRedirectUri, routeTarget, servicePrefix } from './spec.ts';
export { DEFAULT_TIMINGS, type ManagedTimings } from './managed.ts';
