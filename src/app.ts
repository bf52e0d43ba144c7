import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { ActivityRecorder } from './auth/activity.ts';
import { authenticate } from './auth/authenticate.ts';
import { cryptKeeperForHub, RefreshTimes } from './auth/auth-state/index.ts';
import { AuditRecorder, rateLimitEvent } from './audit/index.ts';
import { loadCookieSecret } from './auth/cookies.ts';
import { TokenIdentifier } from './auth/identify-token.ts';
import { LoginThrottle } from './auth/login-throttle.ts';
import { Permissions } from './auth/permissions.ts';
import { PrincipalCache } from './auth/principal-cache.ts';
import { sessionSettings } from './auth/session.ts';
import { registerRetireOnUse, registerTokenExpiryHeaders } from './auth/token-hooks.ts';
import { applyConfig, blockConfiguredUsers } from './bootstrap/index.ts';
import { noAllowConfigWarning, parseDbUrl, type Config } from './config/index.ts';
import type { HubContext } from './context.ts';
import { connect, migrateToLatest, type Db } from './db/index.ts';
import { registerApi } from './api/index.ts';
import { registerWeb } from './web/index.ts';
import { registerAuthRefresh, registerTokenAuthRefresh } from './web/auth-refresh.ts';
import { createServer, type HubServer } from './http/server.ts';
import { createLogger } from './lib/logger.ts';
import { HubMetrics, readMetricsEnv, registerMetrics, timed } from './metrics/index.ts';
import { policyBlockedTokens } from './tokens/inventory.ts';
import { tokenPolicyOf } from './tokens/policy.ts';
import { type ExpiryNotices, startExpiryNotices } from './tokens/expiry-notice.ts';
import { TokenInsertBatch } from './tokens/insert-batch.ts';
import { HubProxy } from './proxy/hub-proxy.ts';
import { RefusalPusher } from './proxy/refusals.ts';
import { RateLimiter } from './ratelimit/index.ts';
import { ServerManager } from './servers/manager.ts';
import { serverRoutes } from './servers/routes.ts';
import { startProxyActivitySync } from './servers/proxy-activity.ts';
import { tokenUsageHook } from './tokens/usage-hook.ts';
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

/**
 * The composition root: builds every per-hub part here, in order, and hands each part only what it uses;
 * no part keeps per-hub state of its own elsewhere. start() listens, stop() undoes it all.
 */
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
  #expiryNotices: ExpiryNotices | null = null;

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
    // Read before anything is opened: a refused secret file stops the start with nothing to undo.
    const cookieSecret = loadCookieSecret(config.cookie_secret_file, opts.baseDir);
    log.info({ from: cookieSecret.from }, 'cookie secret loaded');
    // Read before anything is opened too: a bad metrics variable stops the start as plainly.
    const metricsEnv = readMetricsEnv();
    const nobody = noAllowConfigWarning(config);
    if (nobody) log.warn(nobody);
    const crypt = cryptKeeperForHub(config.authenticator, process.env, log);
    const db = connect(parseDbUrl(config.db_url, opts.baseDir));
    const audit = new AuditRecorder(db.k, log, config.audit);
    try {
      const applied = await migrateToLatest(db.k, db.kind);
      if (applied.length) log.info({ migrations: applied }, 'database schema updated');
      await applyConfig(db.k, config, log, audit, db.kind);
    } catch (err) {
      await db.close();
      throw err;
    }
    const baseUrl = new URL(config.bind_url).pathname.replace(/\/?$/, '/');
    const permissions = new Permissions();
    const tokenPolicy = tokenPolicyOf(config.tokens);
    const identifier = new TokenIdentifier(db.k, permissions, tokenPolicy, audit);
    const principals = new PrincipalCache(db.k, permissions, { customScopes: config.custom_scopes });
    const metrics = new HubMetrics(db.k, metricsEnv, started);
    const apiPrefix = `${baseUrl}hub/api`;
    const limiter = config.rate_limits.enabled
      ? new RateLimiter(config.rate_limits, {
          db: db.k,
          log,
          permissions,
          trips: metrics.rateLimitTrips,
          onTrip: (t) => audit.record(rateLimitEvent(t)),
        })
      : null;
    const refusals = new RefusalPusher({ k: db.k, log, policyBlocked: () => policyBlockedTokens(db.k, tokenPolicy) });
    const proxy = new HubProxy({
      config,
      baseUrl,
      stateDir: opts.baseDir,
      log,
      metrics,
      refusals,
      wanted: async () => ({ ...(await serverRoutes(db.k, baseUrl)), ...(await serviceRoutes(db.k, baseUrl)) }),
    });
    // SQLite gains from concurrent token inserts handed to it together; PostgreSQL groups commits itself.
    const tokenInserts = db.kind === 'sqlite' ? new TokenInsertBatch(db.k) : null;
    const servers = new ServerManager({
      k: db.k,
      dbKind: db.kind,
      config,
      log,
      audit,
      metrics,
      permissions,
      baseUrl,
      stateDir: opts.baseDir,
      routes: proxy,
      spawners: spawnerFactory(config.spawner),
      tokenInserts,
    });
    const ctx: HubContext = {
      config,
      db,
      k: db.k,
      log,
      baseUrl,
      identifier,
      principals,
      sessions: sessionSettings(
        config.public_url || config.bind_url,
        baseUrl,
        cookieSecret.secret,
        config.cookie_max_age_days,
      ),
      crypt,
      authRefresh: new RefreshTimes(config.authenticator.auth_refresh_age),
      loginThrottle: new LoginThrottle(config.authenticator.login_throttle),
      stateDir: opts.baseDir,
      activity: new ActivityRecorder(db.k, log, config.activity_resolution),
      apiVersion: API_VERSION,
      version: TSHUB_VERSION,
      proxy,
      refusals,
      metrics,
      audit,
      dbKind: db.kind,
      tokenInserts,
      permissions,
      requestShutdown: () => opts.onShutdownRequest?.(),
      servers,
      services: new ServiceSupervisor({
        k: db.k,
        dbKind: db.kind,
        config,
        log,
        baseUrl,
        stateDir: opts.baseDir,
        permissions,
      }),
    };

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
    registerAuthRefresh(server, ctx);
    server.addHook('onRequest', async (req) => {
      if (req.url.startsWith(apiPrefix) || req.url.startsWith(metricsPath)) await authenticate(ctx, req);
    });
    registerTokenAuthRefresh(server, ctx);
    registerTokenExpiryHeaders(server);
    registerRetireOnUse(server, ctx);
    server.addHook('onResponse', tokenUsageHook(ctx.activity.usage));
    if (limiter) server.addHook('onRequest', limiter.check);
    // Every hook is in place before the first route context loads: a context takes the hooks it finds.
    registerMetrics(server, ctx, metrics, apiPrefix);
    await registerApi(server, ctx, apiPrefix);
    // Web pages and the OAuth provider register here (src/web, src/oauth).
    await registerWeb(server, ctx);
    server.get(`${baseUrl}hub/health`, { schema: { hide: true } }, async () => ({ status: 'ok' }));
    const hub = new Hub(ctx, server, proxy, metrics, db);
    hub.routes.push(...routes);
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
    await timed(this.metrics.initSpawnersDuration, () => servers.adopt());
    await blockConfiguredUsers(this.ctx);
    await this.proxy.sync();
    servers.startPolling();
    this.#stopActivitySync = startProxyActivitySync(this.ctx.k, this.proxy, config.last_activity_interval, log);
    await this.ctx.services.start(this.hubUrl);
    this.startBackground();
    this.ctx.audit.record({ action: 'hub.start', reason: `tshub ${TSHUB_VERSION}` });
    this.metrics.hubStarted();
    log.info({ url: this.publicUrl, hub_url: this.hubUrl, version: TSHUB_VERSION }, 'tshub is running');
  }

  /**
   * The hub's own background work that requests rely on (the last-activity and audit writers), without
   * listening or the proxy: start() runs it, and so does the in-process test hub.
   */
  startBackground(): void {
    this.ctx.activity.start();
    this.ctx.audit.start();
    this.metrics.startEventLoopMonitor((s) => this.ctx.log.warn({ seconds: s }, 'the event loop was blocked'));
    this.#expiryNotices = startExpiryNotices(this.ctx);
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
    this.metrics.close();
    await this.#expiryNotices?.stop();
    await this.ctx.activity.stop();
    this.ctx.audit.record({ action: 'hub.stop' });
    await this.ctx.audit.stop();
    await this.#db.close();
  }
}
