// Public surface of the proxy module: the Proxy interface, the configurable-http-proxy client,
// launcher and Proxy implementation, and route reconciliation.
import type { Logger } from 'pino';
import type { ProxyConfig } from '../config/index.ts';
import { ChpProxy } from './chp-proxy.ts';

export type { Proxy, ProxyRoute, WantedRoute } from './types.ts';
export { ChpClient, ProxyApiError } from './chp-client.ts';
export type { ChpClientOptions, ChpRouteData, ProbeResult } from './chp-client.ts';
export { ChpLauncher, chpCommand } from './chp-launcher.ts';
export type { ChpLauncherOptions, LaunchOutcome } from './chp-launcher.ts';
export { ChpProxy } from './chp-proxy.ts';
export type { ChpProxyOptions, ChpProxySettings } from './chp-proxy.ts';
export { reconcileRoutes, hubRoute } from './reconcile.ts';
export type { ReconcileOptions, ReconcileResult } from './reconcile.ts';
export { startRouteChecker } from './route-checker.ts';
export type { RouteChecker, RouteCheckerOptions } from './route-checker.ts';
export { canonicalRoutespec, normalizeRoutespec, routespecFromChpPath, routespecToChpPath } from './routespec.ts';
export { stateFiles } from './state-files.ts';

export interface CreateProxyOptions {
  config: ProxyConfig;
  /** Public URL (config bind_url). */
  bindUrl: string;
  /** Where the proxy reaches the hub, an origin such as http://127.0.0.1:8081. */
  hubUrl: string;
  baseUrl: string;
  stateDir: string;
  log: Logger;
  env?: NodeJS.ProcessEnv;
  onRestart?: () => Promise<void> | void;
}

/** The proxy the config asks for. Both classes speak CHP's REST API; only how it is launched differs. */
export function createProxy(opts: CreateProxyOptions): ChpProxy {
  const { config } = opts;
  if (config.class === 'tshub' && config.should_start) {
    throw new Error("proxy.class 'tshub' cannot be launched by the hub yet: use class 'chp', or run `tshub proxy` yourself and set proxy.should_start: false");
  }
  return new ChpProxy({
    proxy: config, bindUrl: opts.bindUrl, hubUrl: opts.hubUrl, baseUrl: opts.baseUrl,
    stateDir: opts.stateDir, log: opts.log.child({ module: 'proxy' }), env: opts.env, onRestart: opts.onRestart,
  });
}
