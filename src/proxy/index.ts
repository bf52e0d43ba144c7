// Public surface of the proxy module: the RoutingProxy interface, the configurable-http-proxy client,
// launcher and the RoutingProxy implementation, and route reconciliation.
import type { ProxyConfig } from '../config/index.ts';
import { tshubProxyCommand } from './chp-launcher.ts';
import { ChpProxy, type ChpProxyOptions } from './chp-proxy.ts';

export type { RoutingProxy, ProxyRoute, WantedRoute } from './types.ts';
export { ChpClient, ProxyApiError } from './chp-client.ts';
export type { ChpClientOptions, ChpRouteData, ProbeResult } from './chp-client.ts';
export { ChpLauncher, chpCommand, tshubProxyCommand } from './chp-launcher.ts';
export type { ChpLauncherOptions, LaunchOutcome } from './chp-launcher.ts';
export { ChpProxy } from './chp-proxy.ts';
export type { ChpProxyOptions, ChpProxySettings } from './chp-proxy.ts';
export { reconcileRoutes, hubRoute } from './reconcile.ts';
export type { ReconcileOptions, ReconcileResult } from './reconcile.ts';
export { startRouteChecker } from './route-checker.ts';
export type { RouteChecker, RouteCheckerOptions } from './route-checker.ts';
export { canonicalRoutespec, normalizeRoutespec, routespecFromChpPath, routespecToChpPath } from './routespec.ts';
export { stateFiles } from './state-files.ts';

/** What the hub passes: the `proxy:` config section plus where things are (see ChpProxyOptions). */
export type CreateProxyOptions = Omit<
  ChpProxyOptions,
  'proxy' | 'command' | 'startTimeoutMs' | 'probeTimeoutMs' | 'checkRunningMs'
> & {
  config: ProxyConfig;
};

/**
 * The proxy the config asks for. Both classes speak CHP's REST API, so one client, launcher and
 * adoption logic serve both; only the program launched differs.
 */
export function createProxy({ config, ...where }: CreateProxyOptions): ChpProxy {
  const command = config.class === 'tshub' ? tshubProxyCommand() : undefined;
  return new ChpProxy({ ...where, proxy: config, command, log: where.log.child({ module: 'proxy' }) });
}
