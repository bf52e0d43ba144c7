import { type AuditOrigin, serverTarget, SYSTEM } from '../audit/event.ts';
import type { SpawnerRow } from '../db/index.ts';
import { HubError, serverPending, spawnFailed } from '../errors/index.ts';
import { observeSpawn, refuseSpawn, timedPoll, timedStatus } from '../metrics/index.ts';
import { isoNow } from '../lib/time.ts';
import { parseJson } from '../lib/json.ts';
import { serverNamesOf } from '../repo/users.ts';
import { activeSpawners, deleteSpawner, findSpawner, getOrCreateSpawner, updateSpawner } from '../repo/spawners.ts';
import type { Spawner } from '../spawners/spawner.ts';
import type { ServerManagerDeps, ServerOwner, ServerStatus, SpawnOptions } from './deps.ts';
import { issueServerCredentials, revokeServerCredentials, serverTokenScopes } from './credentials.ts';
import { serverEnv } from './env.ts';
import { type Entry, newEntry } from './entry.ts';
import { FailureLimit } from './failure-limit.ts';
import { serverLogName, serverPrefix } from './names.ts';
import { schedulePolls } from './poll-timer.ts';
import type { ProgressLog } from './progress.ts';
import { resourceEnv } from './resources.ts';
import { restoredOptions } from './restore.ts';
import { spawnRequest } from './request.ts';
import { deleteForever } from './delete-forever.ts';
import { runPostStopHook, runSpawnHooks } from './spawn-hooks.ts';
import { sleep, waitForHttp, withTimeout } from './wait-up.ts';

const keyOf = (userId: number, server: string): string => `${userId}/${server}`;

export type { RouteTable, ServerManagerDeps, ServerOwner, ServerStatus, SpawnOptions } from './deps.ts';

/**
 * Starts, stops, watches and re-adopts single-user servers: the process work only. Whether a start or
 * stop may happen is decided before (src/commands/servers/). The database holds the truth (server_url,
 * pending, spawner state); this keeps the live spawner objects and progress of transitions in flight.
 */
export class ServerManager {
  readonly #deps: ServerManagerDeps;
  readonly #active = new Map<string, Entry>();
  /** The last failed spawn per server, so its progress stream can still tell why. */
  readonly #failed = new Map<string, ProgressLog>();
  #stopPolling: (() => void) | null = null;
  readonly #failures: FailureLimit;
  readonly #resources: Record<string, string>;
  hubUrl = '';

  constructor(deps: ServerManagerDeps) {
    this.#deps = deps;
    this.#failures = new FailureLimit(deps.config.spawner.consecutive_failure_limit, deps.log);
    this.#resources = resourceEnv(deps.config.spawner);
  }

  #entry(user: ServerOwner, server: string, pending: Entry['pending']): Entry {
    return newEntry(user, server, serverPrefix(this.#deps.baseUrl, user.name, server), pending);
  }

  /** pending ('spawn' | 'stop' | null) of a server as this process knows it. */
  pendingOf(userId: number, server: string): 'spawn' | 'stop' | null {
    return this.#active.get(keyOf(userId, server))?.pending ?? null;
  }

  /** The server of a user this process holds (starting, running or stopping) by its URL prefix. */
  heldAt(userId: number, prefix: string): Readonly<Entry> | undefined {
    for (const e of this.#active.values()) if (e.user.id === userId && e.prefix === prefix) return e;
  }

  progressOf(userId: number, server: string): ProgressLog | undefined {
    const key = keyOf(userId, server);
    return this.#active.get(key)?.progress ?? this.#failed.get(key);
  }

  pendingSpawns(): number {
    return [...this.#active.values()].filter((e) => e.pending === 'spawn').length;
  }

  activeCount(): number {
    return this.#active.size;
  }

  /** Polls a server this process holds; one found dead is cleaned up first, so it counts as stopped. */
  async probe(user: ServerOwner, server: string): Promise<ServerStatus> {
    const entry = this.#active.get(keyOf(user.id, server));
    if (!entry) return 'stopped';
    if (entry.pending) return entry.pending;
    if (entry.spawner && (await timedPoll(this.#deps.metrics.serverPollDuration, entry.spawner)) === null)
      return 'running';
    await this.#cleanup(entry, 'found dead before a new start');
    return 'stopped';
  }

  /**
   * Starts an admitted server. Resolves 'ready' if it came up within slow_spawn_timeout, else 'pending'
   * while the start goes on; rejects with a catalogue error (500 spawn failure).
   */
  async spawn(user: ServerOwner, server: string, opts: SpawnOptions): Promise<'ready' | 'pending'> {
    const key = keyOf(user.id, server);
    // Admission saw no start in flight; one that got in since (a concurrent request) is still pending.
    if (this.#active.has(key))
      throw refuseSpawn(this.#deps.metrics.spawnDuration, serverPending(serverLogName(user.name, server), 'spawn'));
    this.#failures.check();
    // Registered before any await, so that the limits counted at admission see this start at once.
    const entry = this.#entry(user, server, 'spawn');
    entry.startOrigin = opts.origin;
    this.#active.set(key, entry);
    this.#failed.delete(key);
    entry.progress.push({ progress: 0, message: 'Server requested' });
    const task = this.#start(entry, opts);
    entry.task = task.catch(() => {});
    const outcome = await Promise.race([
      task.then(() => 'ready' as const),
      sleep(this.#deps.config.slow_spawn_timeout * 1000),
    ]);
    return outcome === 'timeout' ? 'pending' : 'ready';
  }

  async #start(entry: Entry, opts: SpawnOptions): Promise<void> {
    const { config, k, dbKind, log, metrics, audit } = this.#deps;
    const { user, server, prefix } = entry;
    const logName = serverLogName(user.name, server);
    const started = Date.now();
    try {
      const row = await getOrCreateSpawner(k, user.id, server, opts.displayName ?? null);
      const userOptions = opts.userOptions ?? parseJson<Record<string, unknown>>(row.user_options, {});
      const now = isoNow();
      await updateSpawner(k, row.id, {
        pending: 'spawn',
        started: now,
        last_activity: now,
        user_options: JSON.stringify(userOptions),
        ...(opts.displayName ? { display_name: opts.displayName } : {}),
      });
      const scopes = serverTokenScopes(config.spawner.server_token_scopes, user.name, server);
      const { token, clientId } = await issueServerCredentials(
        k,
        dbKind,
        user,
        server,
        prefix,
        scopes,
        this.#deps.tokenInserts,
      );
      const env = serverEnv({
        config,
        baseUrl: this.#deps.baseUrl,
        hubUrl: this.hubUrl,
        user: user.name,
        server,
        prefix,
        clientId,
        token,
        resources: this.#resources,
      });
      // This start's own copy of the chosen profile's config (src/spawners/profiles): hooks may change it
      // (cmd, image, ...) for this start alone.
      const spawnerConfig = structuredClone(opts.spawnerConfig ?? config.spawner);
      const base = spawnRequest(this.#deps, user, server, env, userOptions, spawnerConfig);
      const request = await runSpawnHooks(config.spawner, base, opts.authState ?? null);
      // A hub killed before start() returns still finds what it began (a pid, a job id) on restart.
      request.onState = async (state) => {
        if (!entry.cancelled) await updateSpawner(k, row.id, { state: JSON.stringify(state) });
      };
      entry.request = request;
      const spawner = this.#deps.spawners.create(request);
      entry.spawner = spawner;
      void entry.progress.relay(spawner.progress());
      entry.progress.push({ progress: 50, message: 'Spawning server...' });
      const url = await withTimeout(spawner.start(), config.spawner.start_timeout * 1000, 'Starting the server');
      await this.#started(entry, row, spawner, url, clientId);
      log.info({ server: logName, url, seconds: (Date.now() - started) / 1000 }, 'server ready');
      audit.record({
        ...(entry.startOrigin ?? SYSTEM),
        action: 'server.start',
        target: serverTarget(user.name, server),
      });
      observeSpawn(metrics.spawnDuration, started);
      this.#failures.succeeded();
      entry.progress.push({
        progress: 100,
        ready: true,
        message: `Server ready at ${prefix}`,
        html_message: `Server ready at <a href="${prefix}">${prefix}</a>`,
        url: prefix,
      });
    } catch (err) {
      const message = (err as Error).message;
      log.warn({ server: logName, err: message }, 'server failed to start');
      audit.record({
        ...(entry.startOrigin ?? SYSTEM),
        action: 'server.start',
        target: serverTarget(user.name, server),
        outcome: 'failure',
        reason: message,
      });
      observeSpawn(metrics.spawnDuration, started, err);
      // A start the user cancelled says nothing about the spawner.
      if (!entry.cancelled) this.#failures.failed();
      this.#failed.set(keyOf(user.id, server), entry.progress);
      try {
        await this.#cleanup(entry, 'start failed');
      } finally {
        // Only now: a client that sees the failure may act at once and must find the server fully stopped
        // (its token revoked, its OAuth client gone), which with PostgreSQL's latency it sometimes did not.
        entry.progress.push({ progress: 100, failed: true, message: `Spawn failed: ${message}` });
      }
      throw err instanceof HubError ? err : spawnFailed(`Spawn failed: ${message}`);
    }
  }

  /** The process is up: record it, wait until it answers, route to it, and mark it ready. */
  async #started(entry: Entry, row: SpawnerRow, spawner: Spawner, url: string, clientId: string): Promise<void> {
    const { config, k, metrics, routes } = this.#deps;
    const { user, server, prefix } = entry;
    await updateSpawner(k, row.id, {
      server_url: url,
      state: JSON.stringify(spawner.state()),
      oauth_client_id: clientId,
    });
    if (entry.cancelled) throw new Error('the start was cancelled');
    await waitForHttp(
      `${url.replace(/\/$/, '')}${prefix}api`,
      config.spawner.http_timeout * 1000,
      async () => !entry.cancelled && (await spawner.poll()) === null,
    );
    await timedStatus(metrics.proxyAddDuration, () =>
      routes.addRoute(prefix, url, { user: user.name, server_name: server }),
    );
    entry.pending = null;
    await updateSpawner(k, row.id, { pending: null });
  }

  /**
   * Stops a server (cancelling a start in flight). Resolves 'stopped', or 'pending' if it takes longer
   * than slow_stop_timeout and goes on in the background.
   */
  async stop(user: ServerOwner, server: string, origin?: AuditOrigin): Promise<'stopped' | 'pending'> {
    const key = keyOf(user.id, server);
    const entry = this.#active.get(key);
    if (!entry) return 'stopped';
    if (entry.pending === 'stop') return 'pending';
    entry.stopOrigin = origin;
    if (entry.pending === 'spawn') {
      entry.cancelled = true;
      // Give the start a moment to notice; the cleanup below stops whatever it started.
      await Promise.race([entry.task, sleep(1000)]);
      if (!this.#active.has(key)) return 'stopped';
    }
    entry.pending = 'stop';
    const task = this.#cleanup(entry, 'stop requested');
    entry.task = task;
    const outcome = await Promise.race([
      task.then(() => 'stopped' as const),
      sleep(this.#deps.config.slow_stop_timeout * 1000),
    ]);
    return outcome === 'timeout' ? 'pending' : 'stopped';
  }

  /** Deletes a named server's record, once its stop (possibly still in flight) has finished. */
  async remove(user: ServerOwner, server: string, stopPending: boolean): Promise<void> {
    const drop = async () => {
      const row = await deleteForever(this.#deps, user, server);
      if (row) await deleteSpawner(this.#deps.k, row.id);
    };
    const task = this.#active.get(keyOf(user.id, server))?.task;
    if (stopPending && task) void task.then(drop, drop);
    else await drop();
  }

  /** delete_forever for each server of a user being deleted; the rows go with the user. */
  async deleteForeverAllOf(user: ServerOwner): Promise<void> {
    for (const server of await serverNamesOf(this.#deps.k, user.id)) await deleteForever(this.#deps, user, server);
  }

  /** Removes the route, stops the process, revokes the server's token and OAuth client, marks it stopped. */
  async #cleanup(entry: Entry, why: string): Promise<void> {
    const { k, log, metrics, routes } = this.#deps;
    const { user, server, prefix } = entry;
    const logName = serverLogName(user.name, server);
    if (this.#active.get(keyOf(user.id, server)) !== entry) {
      // A superseded start (cancelled, then replaced by a new one): stop only its own process.
      await entry.spawner?.stop().catch(() => {});
      return;
    }
    const stopStart = Date.now();
    const row = await findSpawner(k, user.id, server);
    if (row) await updateSpawner(k, row.id, { pending: 'stop' });
    try {
      await timedStatus(metrics.proxyDeleteDuration, () => routes.deleteRoute(prefix));
    } catch (err) {
      log.warn({ server: logName, err: (err as Error).message }, 'could not remove the proxy route');
    }
    let stopStatus = 'success';
    try {
      await entry.spawner?.stop();
    } catch (err) {
      stopStatus = 'failure';
      log.error({ server: logName, err: (err as Error).message }, 'could not stop the server process');
    }
    if (entry.spawner && entry.request)
      await runPostStopHook(this.#deps.config.spawner, entry.request, log.child({ server: logName }));
    await revokeServerCredentials(k, user, server, prefix);
    if (row)
      await updateSpawner(k, row.id, {
        server_url: null,
        pending: null,
        started: null,
        state: '{}',
        last_activity: isoNow(),
      });
    this.#active.delete(keyOf(user.id, server));
    this.#deps.permissions.invalidate();
    metrics.stopDuration.observe({ status: stopStatus }, (Date.now() - stopStart) / 1000);
    log.info({ server: logName, why }, 'server stopped');
    this.#deps.audit.record({
      ...(entry.stopOrigin ?? SYSTEM),
      action: 'server.stop',
      target: serverTarget(user.name, server),
      reason: why,
    });
  }

  /** At start: re-adopt servers a previous hub process left running; clean up the dead and the half-started. */
  async adopt(): Promise<void> {
    const { k, log, spawners } = this.#deps;
    for (const row of await activeSpawners(k)) {
      // The API answers before adoption is over: a start this process began meanwhile is not a leftover.
      if (this.#active.has(keyOf(row.user_id, row.name))) continue;
      const user = { id: row.user_id, name: row.user_name };
      const entry = this.#entry(user, row.name, null);
      const state = parseJson<Record<string, unknown>>(row.state, {});
      if (Object.keys(state).length) {
        const chosen = await restoredOptions(this.#deps, row);
        entry.request = spawnRequest(this.#deps, user, row.name, {}, chosen.userOptions, chosen.config);
        entry.spawner = spawners.restore(entry.request, state);
      }
      this.#active.set(keyOf(user.id, row.name), entry);
      const alive =
        row.pending === null &&
        row.server_url !== null &&
        entry.spawner !== null &&
        (await entry.spawner.poll()) === null;
      if (!alive) {
        await this.#cleanup(
          entry,
          row.pending ? `hub restarted during ${row.pending}` : 'found dead after hub restart',
        );
        continue;
      }
      entry.progress.push({
        progress: 100,
        ready: true,
        message: `Server ready at ${entry.prefix}`,
        url: entry.prefix,
      });
      log.info({ server: serverLogName(user.name, row.name) }, 're-adopted running server');
    }
  }

  /** Polls every running server each poll_interval (give or take poll_jitter); a dead one is cleaned up like a stop. */
  startPolling(): void {
    const { poll_interval, poll_jitter } = this.#deps.config.spawner;
    this.#stopPolling = schedulePolls(poll_interval, poll_jitter, () => this.pollAll());
  }

  async pollAll(): Promise<void> {
    for (const entry of [...this.#active.values()]) {
      if (entry.pending !== null || !entry.spawner) continue;
      const status = await timedPoll(this.#deps.metrics.serverPollDuration, entry.spawner);
      if (status !== null && entry.pending === null) await this.#cleanup(entry, `server exited with status ${status}`);
    }
  }

  /** Stops every server (on hub shutdown only with cleanup_servers, or when deleting a user). */
  async stopAllOf(userId: number | null): Promise<void> {
    const entries = [...this.#active.values()].filter((e) => userId === null || e.user.id === userId);
    await Promise.all(entries.map((e) => (e.pending === 'stop' ? e.task : this.#cleanup(e, 'stopping all'))));
  }

  async shutdown(): Promise<void> {
    this.#stopPolling?.();
    if (this.#deps.config.cleanup_servers) await this.stopAllOf(null);
    else for (const e of this.#active.values()) if (e.pending === 'spawn') e.cancelled = true;
    this.#deps.spawners.close?.();
  }
}
