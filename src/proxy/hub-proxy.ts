import type { Logger } from 'pino';
import type { Config } from '../config/index.ts';
import type { HubMetrics } from '../metrics/index.ts';
import { createProxy } from './index.ts';
import type { ChpProxy } from './chp-proxy.ts';
import { hubRoute } from './reconcile.ts';
import type { RefusalPusher } from './refusals.ts';
import { startRouteChecker, type RouteChecker } from './route-checker.ts';
import type { ProxyRoute, WantedRoute } from './types.ts';

export interface HubProxyOptions {
  config: Config;
  baseUrl: string;
  stateDir: string;
  log: Logger;
  /** Routes of running servers (and later services), from the database. */
  wanted: () => Promise<Record<string, WantedRoute>>;
  metrics?: Pick<HubMetrics, 'proxyPollDuration' | 'checkRoutesDuration'>;
  /** Tells `tshub proxy` which tokens to refuse; configurable-http-proxy cannot. */
  refusals: RefusalPusher;
}

/**
 * The hub's side of the proxy: created with the hub, connected once the hub listens (the proxy's
 * default target is the hub's own URL), kept in line with the database by the route checker.
 */
export class HubProxy {
  readonly #opts: HubProxyOptions;
  #proxy: ChpProxy | null = null;
  #checker: RouteChecker | null = null;
  #hubTarget = '';

  constructor(opts: HubProxyOptions) {
    this.#opts = opts;
  }

  #live(): ChpProxy {
    if (!this.#proxy) throw new Error('the proxy is not connected yet');
    return this.#proxy;
  }

  /** Launches or adopts the proxy and brings its routes in line with the database. */
  async start(hubUrl: string): Promise<void> {
    const { config, baseUrl, stateDir, log } = this.#opts;
    const u = new URL(hubUrl);
    // The proxy must reach the hub even when the hub listens on all interfaces.
    if (u.hostname === '0.0.0.0' || u.hostname === '[::]') u.hostname = '127.0.0.1';
    this.#hubTarget = u.origin;
    this.#proxy = createProxy({
      config: config.proxy,
      bindUrl: config.bind_url,
      hubUrl: this.#hubTarget,
      baseUrl,
      stateDir,
      log,
      metrics: this.#opts.metrics,
      onRestart: async () => void (await this.sync()),
    });
    await this.#proxy.start();
    if (!this.#canRefuse)
      log.warn(
        'proxy.class is chp: configurable-http-proxy forwards revoked tokens unchecked, so servers accept them until ' +
          'their own cache of the hub answer ends (up to 5 minutes); use proxy.class tshub to refuse them at once',
      );
    this.#opts.refusals.attach(this.#canRefuse ? this.#proxy.client : null);
    this.#watch(this.#proxy);
  }

  /** Only `tshub proxy` has the refusal API (docs/proxy.md). */
  get #canRefuse(): boolean {
    return this.#opts.config.proxy.class === 'tshub';
  }

  #watch(proxy: ChpProxy): void {
    const { config, log } = this.#opts;
    this.#checker?.stop();
    this.#checker = startRouteChecker({
      proxy,
      log,
      intervalSeconds: config.proxy.check_routes_interval,
      metrics: this.#opts.metrics,
      // Like JupyterHub's default hub_routespec, the hub takes everything no other route claims.
      wanted: async () => ({ ...hubRoute(this.#hubTarget), ...(await this.#opts.wanted()) }),
      refusals: this.#canRefuse ? this.#opts.refusals : undefined,
    });
  }

  /**
   * Points the hub at a proxy API elsewhere (PATCH /hub/api/proxy), as JupyterHub allows when an admin
   * moves the proxy: from then on it is treated as external (never launched or stopped by the hub).
   */
  async reconfigure(change: { api_url?: string; auth_token?: string }): Promise<void> {
    const { config, baseUrl, stateDir, log } = this.#opts;
    const current = this.#live();
    const proxy = createProxy({
      config: {
        ...config.proxy,
        should_start: false,
        api_url: change.api_url ?? current.client.apiUrl,
        auth_token: change.auth_token ?? current.client.authToken ?? null,
      },
      bindUrl: config.bind_url,
      hubUrl: this.#hubTarget,
      baseUrl,
      stateDir,
      log,
      metrics: this.#opts.metrics,
    });
    await proxy.start();
    await current.stop();
    this.#proxy = proxy;
    this.#opts.refusals.attach(this.#canRefuse ? proxy.client : null);
    this.#watch(proxy);
    await this.sync();
  }

  async addRoute(routespec: string, target: string, data: Record<string, unknown>): Promise<void> {
    await this.#live().addRoute(routespec, target, data);
  }

  async deleteRoute(routespec: string): Promise<void> {
    await this.#live().deleteRoute(routespec);
  }

  async routes(): Promise<Record<string, ProxyRoute>> {
    return this.#live().getRoutes();
  }

  /** Adds missing routes and removes stale ones now (start-up, POST /hub/api/proxy). */
  async sync(): Promise<void> {
    if (this.#checker) await this.#checker.runNow();
  }

  /** Leaves the proxy running (users keep their connections across hub restarts). */
  async stop(): Promise<void> {
    this.#checker?.stop();
    this.#opts.refusals.stop();
    await this.#proxy?.stop();
  }

  /** Stops the proxy process too (POST /hub/api/shutdown with proxy: true). */
  async terminate(): Promise<void> {
    this.#checker?.stop();
    this.#opts.refusals.stop();
    await this.#proxy?.terminate();
  }
}
