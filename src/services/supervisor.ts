import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config, ServiceSpec } from '../config/index.ts';
import type { Database, DbKind } from '../db/index.ts';
import { isoNow } from '../lib/time.ts';
import { findService, serviceTokenIdsWithNote } from '../repo/services.ts';
import { revokeTokens } from '../repo/tokens.ts';
import { issueToken } from '../tokens/issue.ts';
import { HealthChecker } from './health.ts';
import { createTshubLauncher, type TshubLauncher } from './launcher.ts';
import { recordRuns, stopLeftovers } from './leftovers.ts';
import { DEFAULT_TIMINGS, ManagedService, type ManagedTimings, type RunCredentials } from './managed.ts';
import { upsertServiceClient } from './oauth.ts';
import { hasOAuthClient } from './spec.ts';

/** What the supervisor needs of the hub (the hub's context is one). */
export interface SupervisorDeps {
  k: Kysely<Database>;
  dbKind: DbKind;
  config: Config;
  log: Logger;
  /** Path prefix of every URL, from bind_url. */
  baseUrl: string;
  /** Where the pid file of the managed services' runs is kept. */
  stateDir: string;
  /** Called when a run's token is revoked. */
  permissions: { invalidate(): void };
}

export interface SupervisorOptions {
  timings?: Partial<ManagedTimings>;
  healthIntervalMs?: number;
}

const HEALTH_INTERVAL_MS = 60_000;

function runTokenNote(name: string): string {
  return `Managed service ${name} (issued at start)`;
}

/**
 * Runs the managed services (config services with `command`) and checks the health of every service
 * with a url. Routes and OAuth clients are not kept here: they follow from the database (bootstrap,
 * the services API, and the proxy's wanted routes).
 */
export class ServiceSupervisor {
  readonly #ctx: SupervisorDeps;
  readonly #timings: ManagedTimings;
  readonly #managed = new Map<string, ManagedService>();
  readonly #health: HealthChecker;
  #launcher: TshubLauncher | null = null;
  /** The id of each managed service's current run token (none for a config api_token). */
  readonly #runTokens = new Map<string, number>();
  /** A rotated run token's successor, waiting for the restart that hands it over. */
  readonly #handover = new Map<string, { token: string; id: number }>();
  /** Run tokens replaced by rotation: their run's end leaves them to their grace period. */
  readonly #rotatedOut = new Set<number>();
  // A hub process that exits without stop() (an uncaught error, process.exit) still takes its services along.
  readonly #onExit = () => {
    for (const m of this.#managed.values()) m.killNow();
  };

  constructor(ctx: SupervisorDeps, opts: SupervisorOptions = {}) {
    this.#ctx = ctx;
    this.#timings = { ...DEFAULT_TIMINGS, ...opts.timings };
    this.#health = new HealthChecker({
      k: ctx.k,
      config: ctx.config,
      baseUrl: ctx.baseUrl,
      log: ctx.log,
      intervalMs: opts.healthIntervalMs ?? HEALTH_INTERVAL_MS,
    });
  }

  /** Starts the managed services; call once the hub listens and the proxy is up. */
  async start(hubUrl: string): Promise<void> {
    const { config, k, log } = this.#ctx;
    const u = new URL(hubUrl);
    // Services are local children: they reach a hub listening on all interfaces through loopback.
    if (u.hostname === '0.0.0.0' || u.hostname === '[::]') u.hostname = '127.0.0.1';
    const managed = config.services.filter((s) => s.command !== null);
    await stopLeftovers(this.#ctx.stateDir, log, this.#timings.termTimeoutMs);
    if (managed.length > 0) {
      this.#launcher = createTshubLauncher();
      process.on('exit', this.#onExit);
    }
    for (const spec of managed) {
      const row = await findService(k, spec.name);
      if (!row) continue; // bootstrap created every config service; absent only if deleted meanwhile
      // Run tokens a previous hub process could not revoke (it was killed) die here.
      const stale = await serviceTokenIdsWithNote(k, row.id, 'api', runTokenNote(spec.name));
      if (stale.length > 0) {
        await revokeTokens(k, stale, isoNow());
        this.#ctx.permissions.invalidate();
      }
      const m = new ManagedService({
        spec,
        log,
        baseUrl: this.#ctx.baseUrl,
        baseDir: this.#ctx.stateDir,
        hubUrl: u.toString(),
        launcherDir: this.#launcher!.dir,
        timings: this.#timings,
        credentials: () => this.#credentials(spec, row.id),
        onChange: () => this.#record(),
      });
      this.#managed.set(spec.name, m);
      m.start();
    }
    this.#health.start();
    // External services are checked once right away (managed ones are only starting up).
    for (const spec of config.services)
      if (spec.url && spec.command === null) this.#health.checkSoon(spec.name, spec.url);
  }

  /**
   * The configured api_token, or a token for this run, revoked when the run ends: issued now, or the
   * successor of the last run's token when that was rotated (tokenRotated).
   */
  async #credentials(spec: ServiceSpec, serviceId: number): Promise<RunCredentials> {
    const { k, baseUrl } = this.#ctx;
    const withClient = hasOAuthClient(spec);
    if (spec.api_token) return { token: spec.api_token, release: async () => {} };
    const handed = this.#handover.get(spec.name);
    this.#handover.delete(spec.name);
    const { token, id } = handed ?? (await this.#issueRunToken(spec, serviceId));
    this.#runTokens.set(spec.name, id);
    // The OAuth client secret is the service's token, so it changes with every run.
    if (withClient) await upsertServiceClient(k, spec, baseUrl, token);
    return {
      token,
      release: async () => {
        if (this.#runTokens.get(spec.name) === id) this.#runTokens.delete(spec.name);
        // A token rotated out lives on for its grace period, as any rotated token.
        if (!this.#rotatedOut.delete(id)) await revokeTokens(k, [id], isoNow());
        if (withClient) await upsertServiceClient(k, spec, baseUrl, null);
        this.#ctx.permissions.invalidate();
      },
    };
  }

  async #issueRunToken(spec: ServiceSpec, serviceId: number): Promise<{ token: string; id: number }> {
    const { k, dbKind } = this.#ctx;
    const { token, row } = await issueToken(k, dbKind, {
      owner: { kind: 'service', id: serviceId },
      kind: 'api',
      note: runTokenNote(spec.name),
      scopes: ['inherit'],
      expiresIn: null,
    });
    return { token, id: row.id };
  }

  /**
   * The token `oldId` of service `name` was rotated to `token` (id `newId`): if it is the running managed
   * service's, the service is restarted with the new one. Resolves once the old run is gone; true if so.
   */
  async tokenRotated(name: string, oldId: number, token: string, newId: number): Promise<boolean> {
    const m = this.#managed.get(name);
    if (!m || this.#runTokens.get(name) !== oldId) return false;
    this.#handover.set(name, { token, id: newId });
    this.#rotatedOut.add(oldId);
    this.#ctx.log.info(
      { service: name, old: `a${oldId}`, new: `a${newId}` },
      `restarting service ${name}: its token was rotated`,
    );
    await m.restart();
    return true;
  }

  #record(): void {
    const runs = [...this.#managed.values()].flatMap((m) =>
      m.pid === null ? [] : [{ name: m.name, pid: m.pid, startTime: m.startTime }],
    );
    try {
      recordRuns(this.#ctx.stateDir, this.#launcher?.dir ?? null, runs);
    } catch (err) {
      this.#ctx.log.warn({ err: (err as Error).message }, "could not record the managed services' pids");
    }
  }

  /** The pid of a running managed service, or null. */
  pid(name: string): number | null {
    return this.#managed.get(name)?.pid ?? null;
  }

  /** Asks a service added at runtime whether it answers (logged only). */
  checkSoon(name: string, url: string): void {
    this.#health.checkSoon(name, url);
  }

  /** Stops every managed service and revokes their run tokens; the database must still be open. */
  async stop(): Promise<void> {
    await this.#health.stop();
    await Promise.all([...this.#managed.values()].map((m) => m.stop()));
    this.#managed.clear();
    process.off('exit', this.#onExit);
    this.#launcher?.remove();
    this.#launcher = null;
  }
}
