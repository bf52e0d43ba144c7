import type { Logger } from 'pino';
import type { SpawnerConfig } from '../config/schema-spawner.ts';

/** One progress message for the spawn-pending page and the progress event stream. */
export interface ProgressEvent {
  progress?: number;
  message: string;
  html_message?: string;
}

/** Everything a spawner needs to start one server; built by the server manager. */
export interface SpawnRequest {
  user: { id: number; name: string };
  /** '' for the default server. */
  serverName: string;
  /** The URL prefix the server serves under, e.g. `/user/alice/` or `/user/alice/lab2/`. */
  prefix: string;
  /** JupyterHub's environment for the server (JUPYTERHUB_API_TOKEN, ..._SERVICE_PREFIX, ...), before `environment` overrides. */
  env: Record<string, string>;
  userOptions: Record<string, unknown>;
  config: SpawnerConfig;
  /** Directory for per-server state such as log files (the hub's state directory). */
  stateDir: string;
  log: Logger;
  /**
   * Saves state() while start() is still running (a submitted job's id, a started process's pid), so a
   * hub killed before the start finished can still stop or re-adopt what it began. Optional to call.
   */
  onState?: (state: Record<string, unknown>) => Promise<void>;
}

/**
 * A way to run single-user servers (JupyterHub's Spawner). One instance per server. The manager calls
 * start() once, then poll() periodically; stop() ends it. state() is saved in the database after
 * start() so a restarted hub can load() it and poll/stop the same process.
 */
export interface Spawner {
  /** Starts the server process and returns the URL it will listen on (e.g. http://127.0.0.1:PORT). */
  start(): Promise<string>;
  /** Stops the server; resolves once it has exited. Idempotent. */
  stop(): Promise<void>;
  /** null while running; the exit status (or 1 if unknown) once it has stopped. */
  poll(): Promise<number | null>;
  /** What must survive a hub restart (e.g. pid, port), JSON-serializable. */
  state(): Record<string, unknown>;
  /** Progress messages of the start in flight, if the spawner has any to tell. */
  progress(): AsyncIterable<ProgressEvent>;
  /**
   * A starting server tells the port it listens on (batchspawner's POST /hub/api/batchspawner); only
   * spawners whose servers pick their own port (slurm) take it.
   */
  reportPort?(port: number): void;
  /** The server's last `tail` lines of output, where they are not in `logFile` (a container's, from its engine). */
  recentLogs?(tail: number): Promise<string[]>;
  /** JupyterHub's delete_forever: the server is deleted for good (not just stopped); what outlives stops goes too. */
  deleteForever?(): Promise<void>;
  /** Where the server's output is written, for the admin to find. */
  readonly logFile: string | null;
}

export interface SpawnerFactory {
  /** A spawner for a new start. */
  create(req: SpawnRequest): Spawner;
  /** A spawner bound to a server started earlier (by this hub process or a previous one). */
  restore(req: SpawnRequest, state: Record<string, unknown>): Spawner;
  /** Ends what the factory's spawners share (the kubernetes spawner's watches) when the hub stops. */
  close?(): void;
}
