import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { ServiceSpec } from '../config/index.ts';
import { findExecutable } from '../spawners/command.ts';
import { readProcStat } from '../spawners/proc-stat.ts';
import { serviceEnv } from './env.ts';
import { planRunAs, RunAsError, wrapRunAs } from './run-as.ts';

export interface ManagedTimings {
  /** First restart delay; it doubles on each quick exit up to maxDelayMs. */
  firstDelayMs: number;
  maxDelayMs: number;
  /** A run at least this long counts as healthy: the next restart waits firstDelayMs again. */
  stableMs: number;
  /** How long stop() waits after SIGTERM before SIGKILL. */
  termTimeoutMs: number;
}

export const DEFAULT_TIMINGS: ManagedTimings = {
  firstDelayMs: 1000,
  maxDelayMs: 30_000,
  stableMs: 60_000,
  termTimeoutMs: 5000,
};

/** The API token of one run; release() revokes a generated one when that run ends. */
export interface RunCredentials {
  token: string;
  release(): Promise<void>;
}

export interface ManagedServiceOptions {
  spec: ServiceSpec;
  log: Logger;
  baseUrl: string;
  /** Relative `cwd` resolves here, and it is the working directory when `cwd` is not set. */
  baseDir: string;
  hubUrl: string;
  launcherDir: string;
  timings: ManagedTimings;
  credentials(): Promise<RunCredentials>;
  /** Called when a run starts or ends (the supervisor records the running pids). */
  onChange(): void;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  if (pid < 2) return;
  try {
    // Negative: the whole process group the service leads (it was started detached).
    process.kill(-pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/**
 * One managed service (JupyterHub's Service with `command`): a child process of the hub, restarted with
 * a growing delay whenever it exits, and stopped (with everything it started) when the hub stops.
 */
export class ManagedService {
  readonly #o: ManagedServiceOptions;
  #child: ChildProcess | null = null;
  #exited: Promise<void> = Promise.resolve();
  #launching: Promise<void> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #stopping = false;
  #nextDelayMs: number;
  #startedAt = 0;
  #startTime: number | null = null;
  // Set by restart(): the next exit is a planned one, followed at once by a new run.
  #restartNow = false;

  constructor(o: ManagedServiceOptions) {
    this.#o = o;
    this.#nextDelayMs = o.timings.firstDelayMs;
  }

  get name(): string {
    return this.#o.spec.name;
  }

  /** The running process's pid, or null between runs. */
  get pid(): number | null {
    return this.#child?.pid ?? null;
  }

  /** The running process's start time from /proc (with the pid, it names the process for good). */
  get startTime(): number | null {
    return this.#startTime;
  }

  start(): void {
    this.#launching = this.#launch().finally(() => {
      this.#launching = null;
    });
  }

  /** For a hub process that exits without stop() (a crash): at least nothing is left running. */
  killNow(): void {
    const pid = this.pid;
    if (pid !== null) signalGroup(pid, 'SIGKILL');
  }

  async #launch(): Promise<void> {
    const { spec, log } = this.#o;
    let creds: RunCredentials | null = null;
    try {
      const runAs = await planRunAs(spec.user);
      const cwd = resolve(this.#o.baseDir, spec.cwd ?? '.');
      if (this.#stopping) return;
      creds = await this.#o.credentials();
      const env = serviceEnv({
        spec,
        baseUrl: this.#o.baseUrl,
        hubUrl: this.#o.hubUrl,
        token: creds.token,
        launcherDir: this.#o.launcherDir,
        account: runAs.env,
      });
      const [command, ...args] = spec.command!;
      // Looked up with the service's own PATH (so `tshub` is the launcher), to name what was searched.
      const exe = findExecutable(command!, env.PATH, cwd);
      if (exe === null)
        throw new Error(
          `command ${JSON.stringify(command)} not found${command!.includes('/') ? '' : ` on PATH (${env.PATH})`}, or not executable`,
        );
      const run = wrapRunAs(exe, args, runAs.ids);
      if (this.#stopping) {
        await creds.release();
        return;
      }
      // detached: its own process group, so a Ctrl-C aimed at the hub does not reach it directly
      // (the hub stops it in order), and stop() can signal everything it started.
      const child = spawn(run.file, run.argv, {
        cwd,
        env,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        uid: run.uid,
        gid: run.gid,
      });
      await new Promise<void>((ok, fail) => {
        child.once('spawn', ok);
        child.once('error', fail);
      });
      // A later error (a failed kill) must not become an uncaught exception of the hub.
      child.on('error', (err) =>
        log.warn({ service: spec.name, err: err.message }, `service ${spec.name}: ${err.message}`),
      );
      const release = creds.release;
      creds = null;
      this.#watch(child, release);
    } catch (err) {
      if (creds) await creds.release().catch(() => {});
      if (err instanceof RunAsError) {
        // Retrying cannot help until the config changes.
        log.error({ service: spec.name }, `service ${spec.name} cannot start: ${err.message}`);
        return;
      }
      log.error(
        { service: spec.name, err: (err as Error).message },
        `service ${spec.name} failed to start: ${(err as Error).message}`,
      );
      this.#scheduleRestart();
    }
  }

  #watch(child: ChildProcess, release: () => Promise<void>): void {
    const { spec, log } = this.#o;
    const pid = child.pid!;
    this.#child = child;
    this.#startedAt = Date.now();
    this.#startTime = readProcStat(pid)?.startTime ?? null;
    this.#o.onChange();
    log.info({ service: spec.name, pid, command: spec.command }, `service ${spec.name} started (pid ${pid})`);
    for (const [stream, input] of [
      ['stdout', child.stdout],
      ['stderr', child.stderr],
    ] as const) {
      createInterface({ input: input as Readable, crlfDelay: Infinity }).on('line', (line) =>
        log.info({ service: spec.name, stream }, line),
      );
    }
    this.#exited = new Promise((done) => {
      child.once('exit', (code, signal) => {
        // Helpers it left behind in its group go with it: a dead service leaves nothing running.
        signalGroup(pid, 'SIGKILL');
        this.#child = null;
        this.#startTime = null;
        this.#o.onChange();
        void release()
          .catch((err: Error) =>
            log.warn({ service: spec.name, err: err.message }, 'could not revoke the service token'),
          )
          .finally(() => {
            const how = code !== null ? `status ${code}` : `signal ${signal}`;
            if (this.#stopping) log.info({ service: spec.name, pid }, `service ${spec.name} stopped (${how})`);
            else if (this.#restartNow) {
              this.#restartNow = false;
              log.info(
                { service: spec.name, pid },
                `service ${spec.name} stopped (${how}) to restart with a new token`,
              );
              this.start();
            } else {
              log.error({ service: spec.name, pid, code, signal }, `service ${spec.name} exited with ${how}`);
              this.#scheduleRestart();
            }
            done();
          });
      });
    });
  }

  #scheduleRestart(): void {
    if (this.#stopping) return;
    const { timings, spec, log } = this.#o;
    // A run that lasted a while was healthy: start over from the shortest delay.
    if (this.#startedAt && Date.now() - this.#startedAt >= timings.stableMs) this.#nextDelayMs = timings.firstDelayMs;
    const delay = this.#nextDelayMs;
    this.#nextDelayMs = Math.min(delay * 2, timings.maxDelayMs);
    this.#startedAt = 0;
    log.warn({ service: spec.name, delay_ms: delay }, `restarting service ${spec.name} in ${delay / 1000} s`);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.start();
    }, delay);
    this.#timer.unref();
  }

  /**
   * Stops the running process and starts the next run at once, with no back-off and no failure counted:
   * its token was rotated, and the new run is given the new one. Resolves when the old run is gone.
   */
  async restart(): Promise<void> {
    if (this.#stopping) return;
    if (this.#launching) await this.#launching;
    const pid = this.pid;
    if (pid === null) {
      // Between runs (waiting to restart after a failure): the next run starts now.
      if (this.#timer) clearTimeout(this.#timer);
      this.#timer = null;
      this.start();
      return;
    }
    this.#restartNow = true;
    await this.#terminate(pid);
  }

  /** SIGTERM to its process group, SIGKILL after termTimeoutMs; resolves when it is gone. */
  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#launching) await this.#launching;
    const pid = this.pid;
    if (pid !== null) await this.#terminate(pid);
  }

  async #terminate(pid: number): Promise<void> {
    signalGroup(pid, 'SIGTERM');
    const gone = await Promise.race([this.#exited.then(() => true), sleep(this.#o.timings.termTimeoutMs, false)]);
    if (!gone) {
      this.#o.log.warn(
        { service: this.name, pid },
        `service ${this.name} did not exit ${this.#o.timings.termTimeoutMs} ms after SIGTERM; sending SIGKILL`,
      );
      signalGroup(pid, 'SIGKILL');
      await Promise.race([this.#exited, sleep(this.#o.timings.termTimeoutMs)]);
    }
  }
}
