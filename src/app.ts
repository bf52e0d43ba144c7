import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { ActivityRecorder } from './auth/activity.ts';
import { authenticate } from './auth/authenticate.ts';
import { AuditRecorder, rateLimitEvent } from './audit/index.ts';
import { TokenIdentifier } from './auth/identify-token.ts';
import { PrincipalCache } from './auth/principal-cache.ts';
import { applyConfig, blockConfiguredUsers } from './bootstrap/index.ts';
import { parseDbUrl, type Config } from './config/index.ts';
import type { HubContext } from './context.ts';
import { connect, migrateToLatest, type Db } from './db/index.ts';
import { registerApi } from './api/index.ts';
import { registerWeb } from './web/index.ts';
import { createServer, type HubServer } from './http/server.ts';
import { createLogger } from './lib/logger.ts';
import { HubMetrics } from './metrics/registry.ts';
import { registerMetrics } from './metrics/routes.ts';
import { HubProxy } from './proxy/hub-proxy.ts';
import { RateLimiter } from './ratelimit/index.ts';
import { ServerManager } from './servers/manager.ts';
import { startProxyActivitySync } from './servers/proxy-activity.ts';
import { serviceRoutes, ServiceSupervisor } from './services/index.ts';
import { spawnerFactory } from './spawners/index.ts';
import { API_VERSION, TSHUB_VERSION } from './version.ts';

export interface HubOptions {
  config: Config;
  /** Directory that relative paths in the config (sqlite file, cookie secret) are relative to. */
  baseDir: string;
  log?: Logger;
  /** Called when the API asks the hub to shut down; the CLI exits the process. */
  onShutdownRequest?: () => void;
}

function listenTarget(url: string): { host: string; port: number } {
  const u = new URL(url);
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port === '' ? (u.protocol === 'https:' ? 443 : 80) : Number(u.port),
  };
}

function withPort(url: string, port: number): string {
  const u = new URL(url);
  u.port = String(port);
  return u.toString();
}

/** The composition root: builds every part in order; start() listens, stop() undoes it all. */
export class Hub {
  readonly ctx: HubContext;
  readonly server: HubServer;
  readonly proxy: HubProxy;
  readonly metrics: HubMetrics;
  readonly #db: Db;
  /** Every route registered by the hub itself (for the OpenAPI completeness test and diagnostics). */
  readonly routes: { method: string; url: string; hidden: boolean }[] = [];
  /** Where the hub itself listens (ports resolved when config says 0), and the public URL (the proxy). */
  hubUrl = '';
  publicUrl = '';
  #stopActivitySync: (() => void) | null = null;

  private constructor(ctx: HubContext, server: HubServer, proxy: HubProxy, metrics: HubMetrics, db: Db) {
    this.ctx = ctx;
    this.server = server;
    this.proxy = proxy;
    this.metrics = metrics;
    this.#db = db;
  }

  static async create(opts: HubOptions): Promise<Hub> {
    const started = Date.now();
    const { config } = opts;
    const log = opts.log ?? createLogger(config.log_level);
    const db = connect(parseDbUrl(config.db_url, opts.baseDir));
    const audit = new AuditRecorder(db.k, log, config.audit);
    try {
      const applied = await migrateToLatest(db.k, db.kind);
      if (applied.length) log.info({ migrations: applied }, 'database schema updated');
      await applyConfig(db.k, config, log, audit);
    } catch (err) {
      await db.close();
      throw err;
    }
    const baseUrl = new URL(config.bind_url).pathname.replace(/\/?$/, '/');
    const identifier = new TokenIdentifier(db.k);
    const principals = new PrincipalCache(db.k, { customScopes: config.custom_scopes });
    const metrics = new HubMetrics(db.k);
    const apiPrefix = `${baseUrl}hub/api`;
    const limiter = config.rate_limits.enabled
      ? new RateLimiter(config.rate_limits, {
          db: db.k,
          log,
          apiPrefix,
          trips: metrics.rateLimitTrips,
          onTrip: (t) => audit.record(rateLimitEvent(t)),
        })
      : null;
    let servers: ServerManager | null = null;
    const proxy = new HubProxy({
      config,
      baseUrl,
      stateDir: opts.baseDir,
      log,
      wanted: async () => ({ ...(await servers!.wantedRoutes()), ...(await serviceRoutes(db.k, baseUrl)) }),
    });
    const ctx = {
      config,
      db,
      k: db.k,
      log,
      baseUrl,
      identifier,
      principals,
      stateDir: opts.baseDir,
      activity: new ActivityRecorder(db.k, log, config.activity_resolution),
      apiVersion: API_VERSION,
      version: TSHUB_VERSION,
      proxy,
      metrics,
      audit,
      dbKind: db.kind,
      permissions: {
        invalidate() {
          identifier.clear();
          principals.invalidate();
          limiter?.rolesChanged();
        },
      },
      requestShutdown: () => opts.onShutdownRequest?.(),
    } as Omit<HubContext, 'servers' | 'services'> as HubContext;
    servers = new ServerManager(ctx, spawnerFactory(config.spawner), proxy);
    ctx.servers = servers;
    ctx.services = new ServiceSupervisor(ctx);

    const server = await createServer({
      log,
      baseUrl,
      bodyLimit: config.max_body_size,
      apiVersion: API_VERSION,
      trustProxy: 'loopback',
      https: new URL(config.bind_url).protocol === 'https:',
    });
    const metricsPath = `${baseUrl}hub/metrics`;
    const routes: Hub['routes'] = [];
    server.addHook('onRoute', (r) => {
      for (const method of [r.method].flat())
        routes.push({ method, url: r.url, hidden: Boolean((r.schema as { hide?: boolean } | undefined)?.hide) });
    });
    server.addHook('onRequest', async (req) => {
      if (req.url.startsWith(apiPrefix) || req.url.startsWith(metricsPath)) await authenticate(ctx, req);
    });
    if (limiter) server.addHook('onRequest', limiter.check);
    registerApi(server, ctx, apiPrefix);
    registerMetrics(server, ctx, metrics, apiPrefix);
    // Web pages and the OAuth provider register here (src/web, src/oauth).
    await registerWeb(server, ctx);
    server.get(`${baseUrl}hub/health`, { schema: { hide: true } }, async () => ({ status: 'ok' }));
    const hub = new Hub(ctx, server, proxy, metrics, db);
    hub.routes.push(...routes);
    metrics.startupDuration.set((Date.now() - started) / 1000);
    return hub;
  }

  /**
   * Listens, connects the proxy (launching or adopting it), re-adopts servers a previous hub process
   * left running, and puts the routes in line with the database.
   */
  async start(): Promise<void> {
    const { config, log, servers } = this.ctx;
    const hub = listenTarget(config.hub_bind_url);
    await this.server.listen({ host: hub.host, port: hub.port });
    this.hubUrl = withPort(config.hub_bind_url, (this.server.server.address() as AddressInfo).port);
    servers.hubUrl = this.hubUrl;
    await this.proxy.start(this.hubUrl);
    this.publicUrl = config.bind_url;
    await servers.adopt();
    await blockConfiguredUsers(this.ctx);
    await this.proxy.sync();
    servers.startPolling();
    this.#stopActivitySync = startProxyActivitySync(this.ctx.k, this.proxy, config.last_activity_interval, log);
    await this.ctx.services.start(this.hubUrl);
    this.ctx.activity.start();
    this.ctx.audit.start();
    this.ctx.audit.record({ action: 'hub.start', reason: `tshub ${TSHUB_VERSION}` });
    log.info({ url: this.publicUrl, hub_url: this.hubUrl, version: TSHUB_VERSION }, 'tshub is running');
  }

  /**
   * Stops the hub. Running servers and the proxy keep running (unless cleanup_servers), so users keep
   * their notebooks and the next start re-adopts them; with no server running there is nothing to
   * keep, and a proxy the hub launched is stopped too.
   */
  async stop(): Promise<void> {
    this.#stopActivitySync?.();
    await this.ctx.services.stop();
    await this.ctx.servers.shutdown();
    if (this.ctx.servers.activeCount() === 0) await this.proxy.terminate();
    else await this.proxy.stop();
    await this.server.close();
    await this.ctx.activity.stop();
    this.ctx.audit.record({ action: 'hub.stop' });
    await this.ctx.audit.stop();
    await this.#db.close();
  }
}
