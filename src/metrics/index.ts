// Public surface of the metrics module: the hub's registry, its routes, and the one-line observations.
export { type MetricsEnv, MetricsEnvError, readMetricsEnv } from './env.ts';
export { observeSpawn, refuseSpawn, timed, timedPoll, timedStatus } from './observe.ts';
export { HubMetrics } from './registry.ts';
export { registerMetrics } from './routes.ts';
