import type { Logger } from 'pino';
import { type HubMetrics, timed } from '../metrics/index.ts';
import { ProxyApiError } from './chp-client.ts';
import { reconcileRoutes, type ReconcileOptions, type ReconcileResult } from './reconcile.ts';
import type { RoutingProxy, WantedRoute } from './types.ts';

export interface RouteCheckerOptions {
  proxy: RoutingProxy;
  /** The routes the hub wants now (hub route, ready servers, services), built from the database. */
  wanted: () => Promise<Record<string, WantedRoute>> | Record<string, WantedRoute>;
  /** Routespecs of servers in a pending state, left alone. */
  pending?: () => Promise<Iterable<string>> | Iterable<string>;
  /** Seconds between checks (config proxy.check_routes_interval). */
  intervalSeconds: number;
  log: Logger;
  metrics?: Pick<HubMetrics, 'checkRoutesDuration'>;
  /** Fed to a fresh proxy before its routes (see ReconcileOptions.refusals). */
  refusals?: ReconcileOptions['refusals'];
}

export interface RouteChecker {
  /** One check now (also what the hub awaits at start); rejects if the proxy cannot be brought in line. */
  runNow(): Promise<ReconcileResult>;
  stop(): void;
}

/**
 * Runs reconcileRoutes every interval. When the proxy cannot be reached it calls proxy.start()
 * first, which relaunches a proxy the hub manages (and fails harmlessly for an external one), so a
 * proxy that died gets its routes back at the next check at the latest.
 */
export function startRouteChecker(opts: RouteCheckerOptions): RouteChecker {
  const { proxy, log } = opts;
  const once = async (): Promise<ReconcileResult> => {
    const wanted = await opts.wanted();
    const keep = opts.pending ? await opts.pending() : [];
    const options = { keep, refusals: opts.refusals };
    try {
      return await reconcileRoutes(proxy, wanted, log, options);
    } catch (err) {
      if (!(err instanceof ProxyApiError && err.unreachable)) throw err;
      log.error({ err: err.message }, 'the proxy does not answer: starting it again');
      await proxy.start();
      return await reconcileRoutes(proxy, wanted, log, options);
    }
  };
  const check = () => timed(opts.metrics?.checkRoutesDuration, once);
  const timer = setInterval(() => {
    check().catch((err: unknown) => log.error({ err }, 'checking the proxy routes failed'));
  }, opts.intervalSeconds * 1000);
  timer.unref();
  return { runNow: check, stop: () => clearInterval(timer) };
}
