import type { Logger } from 'pino';
import { ChpClient, type ChpRouteData } from './chp-client.ts';
import { ChpLauncher, type LaunchOutcome } from './chp-launcher.ts';
import { isAlive } from '../lib/process.ts';
import { type HubMetrics, timed } from '../metrics/index.ts';
import { routespecFromChpPath } from './routespec.ts';
import { resolveToken, stateFiles } from './state-files.ts';
import type { RoutingProxy, ProxyRoute } from './types.ts';

/** The keys of proxy config this module reads (config `proxy:` section). */
export interface ChpProxySettings {
  should_start: boolean;
  api_url: string;
  auth_token: string | null;
}

export interface ChpProxyOptions {
  proxy: ChpProxySettings;
  /** Public URL (bind_url); the launched proxy listens there. */
  bindUrl: string;
  /** Where the proxy reaches the hub (origin, e.g. http://127.0.0.1:8081). */
  hubUrl: string;
  baseUrl: string;
  /** Where the proxy's token, pid and log files live. */
  stateDir: string;
  log: Logger;
  env?: NodeJS.ProcessEnv;
  /** Overrides for tests and `tshub proxy`: program, start timeout, probe timeout. */
  command?: string[];
  startTimeoutMs?: number;
  probeTimeoutMs?: number;
  /** How often to check that a launched proxy is still alive (JupyterHub: 5 s); 0 disables. */
  checkRunningMs?: number;
  /** Called after a dead proxy was relaunched, to put the routes back (run reconcileRoutes). */
  onRestart?: () => Promise<void> | void;
  metrics?: Pick<HubMetrics, 'proxyPollDuration'>;
}

// JupyterHub marks its routes with this key and shows only marked routes; we do the same, so that
// routes someone else added to a shared proxy are never reported or removed.
const MARKER = 'jupyterhub';

/** The RoutingProxy over configurable-http-proxy's REST API, optionally launching (or adopting) the process. */
export class ChpProxy implements RoutingProxy {
  readonly client: ChpClient;
  readonly launcher: ChpLauncher | null;
  readonly #opts: ChpProxyOptions;
  #watch: NodeJS.Timeout | null = null;
  #restarting = false;

  constructor(opts: ChpProxyOptions) {
    this.#opts = opts;
    if (opts.proxy.should_start) {
      this.launcher = new ChpLauncher({
        bindUrl: opts.bindUrl,
        apiUrl: opts.proxy.api_url,
        hubUrl: opts.hubUrl,
        baseUrl: opts.baseUrl,
        stateDir: opts.stateDir,
        authToken: opts.proxy.auth_token,
        log: opts.log,
        env: opts.env,
        command: opts.command,
        startTimeoutMs: opts.startTimeoutMs,
        probeTimeoutMs: opts.probeTimeoutMs,
      });
      this.client = this.launcher.client;
    } else {
      // Never invent a token for a proxy we did not start: it could not know it (JupyterHub refuses too).
      const t = resolveToken({
        configToken: opts.proxy.auth_token,
        env: opts.env ?? process.env,
        tokenFile: stateFiles(opts.stateDir).token,
        generate: false,
      });
      if (!t)
        throw new Error('proxy.auth_token (or CONFIGPROXY_AUTH_TOKEN) is required when proxy.should_start is false');
      this.launcher = null;
      this.client = new ChpClient({ apiUrl: opts.proxy.api_url, authToken: t.token });
    }
  }

  /** Launches or adopts the proxy (should_start), or checks that the external one answers. */
  async start(): Promise<void> {
    await this.startProxy();
  }

  /** As start(), telling what happened (null when the proxy is external). */
  async startProxy(): Promise<LaunchOutcome | null> {
    if (!this.launcher) {
      await this.client.getChpRoutes();
      this.#opts.log.info(
        { api_url: this.client.apiUrl },
        'using the proxy already running (proxy.should_start is false)',
      );
      return null;
    }
    const outcome = await this.launcher.start();
    this.#startWatch();
    return outcome;
  }

  #startWatch(): void {
    const every = this.#opts.checkRunningMs ?? 5000;
    if (this.#watch || every <= 0) return;
    this.#watch = setInterval(() => void this.#checkRunning(), every);
    this.#watch.unref();
  }

  async #checkRunning(): Promise<void> {
    const pid = this.launcher?.pid ?? null;
    if (pid === null || isAlive(pid) || this.#restarting) return;
    this.#restarting = true;
    const { log } = this.#opts;
    try {
      log.error({ pid }, 'the proxy stopped: starting it again');
      await this.launcher!.start();
      await this.#opts.onRestart?.();
    } catch (err) {
      log.error({ err }, 'could not restart the proxy');
    } finally {
      this.#restarting = false;
    }
  }

  /** Leaves the proxy running (users keep their connections) unless `kill` is set. */
  async stop(opts: { kill?: boolean } = {}): Promise<void> {
    if (this.#watch) clearInterval(this.#watch);
    this.#watch = null;
    if (this.launcher) await this.launcher.stop(opts);
    else this.client.close();
  }

  /** Stops a proxy this hub launched or adopted (e.g. `POST /hub/api/shutdown` with proxy: true). */
  async terminate(): Promise<void> {
    await this.stop({ kill: true });
  }

  async addRoute(routespec: string, target: string, data: Record<string, unknown>): Promise<void> {
    const body: ChpRouteData = { ...data, target, [MARKER]: true };
    await this.client.postRoute(routespec, body);
  }

  async deleteRoute(routespec: string): Promise<void> {
    if (!(await this.client.deleteRoute(routespec))) this.#opts.log.warn({ routespec }, 'route already deleted');
  }

  async getRoutes(): Promise<Record<string, ProxyRoute>> {
    const all = await timed(this.#opts.metrics?.proxyPollDuration, () => this.client.getChpRoutes());
    const routes: Record<string, ProxyRoute> = {};
    for (const [chpPath, { target, [MARKER]: marker, ...data }] of Object.entries(all)) {
      if (marker === undefined) continue;
      const routespec = routespecFromChpPath(chpPath);
      routes[routespec] = { routespec, target, data };
    }
    return routes;
  }
}
