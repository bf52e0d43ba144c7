import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { ActivityRecorder } from './auth/activity.ts';
import { authenticate } from './auth/authenticate.ts';
import { TokenIdentifier } from './auth/identify-token.ts';
import { PrincipalCache } from './auth/principal-cache.ts';
import { applyConfig } from './bootstrap/index.ts';
import { parseDbUrl, type Config } from './config/index.ts';
import type { HubContext } from './context.ts';
import { connect, migrateToLatest, type Db } from './db/index.ts';
import { registerApi } from './api/index.ts';
import { createServer, type HubServer } from './http/server.ts';
import { createLogger } from './lib/logger.ts';
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
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port === '' ? (u.protocol === 'https:' ? 443 : 80) : Number(u.port) };
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
  readonly #db: Db;
  #publicServer: Server | null = null;
  /** Every route registered by the hub itself (for the OpenAPI completeness test and diagnostics). */
  readonly routes: { method: string; url: string; hidden: boolean }[] = [];
  /** Where the API and pages are reachable once started (ports resolved when config says 0). */
  hubUrl = '';
  publicUrl = '';

  private constructor(ctx: HubContext, server: HubServer, db: Db) {
    this.ctx = ctx;
    this.server = server;
    this.#db = db;
  }

  static async create(opts: HubOptions): Promise<Hub> {
    const { config } = opts;
    const log = opts.log ?? createLogger(config.log_level);
    const db = connect(parseDbUrl(config.db_url, opts.baseDir));
    try {
      const applied = await migrateToLatest(db.k, db.kind);
      if (applied.length) log.info({ migrations: applied }, 'database schema updated');
      await applyConfig(db.k, config, log);
    } catch (err) {
      await db.close();
      throw err;
    }
    const baseUrl = new URL(config.bind_url).pathname.replace(/\/?$/, '/');
    const identifier = new TokenIdentifier(db.k);
    const principals = new PrincipalCache(db.k);
    const ctx: HubContext = {
      config, db, k: db.k, log, baseUrl, identifier, principals,
      activity: new ActivityRecorder(db.k, log, config.activity_resolution),
      apiVersion: API_VERSION,
      version: TSHUB_VERSION,
      permissionsChanged() {
        identifier.clear();
        principals.invalidate();
      },
      requestShutdown: () => opts.onShutdownRequest?.(),
    };
    const server = await createServer({ log, baseUrl, bodyLimit: config.max_body_size, apiVersion: API_VERSION, trustProxy: true });
    const apiPrefix = `${baseUrl}hub/api`;
    const routes: Hub['routes'] = [];
    server.addHook('onRoute', (r) => {
      for (const method of [r.method].flat()) routes.push({ method, url: r.url, hidden: Boolean((r.schema as { hide?: boolean } | undefined)?.hide) });
    });
    server.addHook('onRequest', async (req) => {
      if (req.url.startsWith(apiPrefix)) await authenticate(ctx, req);
    });
    registerApi(server, ctx, apiPrefix);
    server.get(`${baseUrl}hub/health`, { schema: { hide: true } }, async () => ({ status: 'ok' }));
    const hub = new Hub(ctx, server, db);
    hub.routes.push(...routes);
    return hub;
  }

  async start(): Promise<void> {
    const { config, log } = this.ctx;
    const hub = listenTarget(config.hub_bind_url);
    await this.server.listen({ host: hub.host, port: hub.port });
    this.hubUrl = withPort(config.hub_bind_url, (this.server.server.address() as AddressInfo).port);
    // Until the proxy process exists the hub also answers on the public bind_url itself.
    const pub = listenTarget(config.bind_url);
    if (pub.host === hub.host && pub.port === hub.port && hub.port !== 0) {
      this.publicUrl = this.hubUrl;
    } else {
      const s = createHttpServer((req, res) => this.server.routing(req, res));
      s.keepAliveTimeout = 65_000;
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(pub.port, pub.host, () => resolve());
      });
      this.#publicServer = s;
      this.publicUrl = withPort(config.bind_url, (s.address() as AddressInfo).port);
    }
    this.ctx.activity.start();
    log.info({ url: this.publicUrl, hub_url: this.hubUrl, version: TSHUB_VERSION }, 'tshub is running');
  }

  async stop(): Promise<void> {
    if (this.#publicServer) {
      const s = this.#publicServer;
      await new Promise<void>((resolve) => {
        s.close(() => resolve());
        s.closeAllConnections();
      });
    }
    await this.server.close();
    await this.ctx.activity.stop();
    await this.#db.close();
  }
}
