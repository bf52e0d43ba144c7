import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync } from 'node:fs';
import { constants } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnFailed } from '../errors/index.ts';
import { findExecutable } from './command.ts';
import { singleuserAppFor } from './singleuser-app.ts';
import { keptEnv, wrapRunAs } from './run-as.ts';
import { logTail, noteInLog, openLog } from './log-file.ts';
import { expandUsername, logFilePath } from './paths.ts';
import { isListening, pickPort, releasePort } from './ports.ts';
import { isOurProcess, readProcStat } from './proc-stat.ts';
import { OneStart } from './one-start.ts';
import type { ProgressEvent, SpawnRequest, Spawner } from './spawner.ts';

/** How to run the server process; each spawner class decides it in plan(). */
export interface LaunchPlan {
  cwd: string;
  /** Variables of the spawner class (HOME, USER, SHELL): above the hub's, below `environment`. */
  env: Record<string, string>;
  /** Another account to run as; null runs the server as the hub's own user. */
  runAs: { uid: number; gid: number; groups: number[] } | null;
}

/** Timings that tests shorten; the defaults are what a hub uses. */
export interface ProcessSpawnerOptions {
  /** How long stop() waits after SIGTERM before it sends SIGKILL (ms). */
  termTimeoutMs?: number;
  /** How long start() watches for an immediate exit (ms), unless the port opens sooner. */
  startGraceMs?: number;
}

const KILL_WAIT_MS = 5000;

/** The host in a URL for `ip`: the proxy reaches a server listening everywhere on loopback. */
function connectHost(ip: string): string {
  if (ip === '0.0.0.0' || ip === '::' || ip === '') return '127.0.0.1';
  return ip.includes(':') ? `[${ip}]` : ip;
}

function optionalInt(v: unknown, min: number): number | null {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= min ? v : null;
}

/** A server run as a local child process; SimpleSpawner and LocalProcessSpawner differ only in plan(). */
export abstract class ProcessSpawner implements Spawner {
  protected readonly req: SpawnRequest;
  readonly #termTimeoutMs: number;
  readonly #graceMs: number;
  #pid: number | null = null;
  #port: number | null = null;
  #startTime: number | null = null;
  #logPath: string | null = null;
  #exited: Promise<void> | null = null;
  #exitStatus: number | null = null;
  readonly #start = new OneStart();

  constructor(req: SpawnRequest, state: Record<string, unknown> | null = null, opts: ProcessSpawnerOptions = {}) {
    this.req = req;
    this.#termTimeoutMs = opts.termTimeoutMs ?? 5000;
    this.#graceMs = opts.startGraceMs ?? 1000;
    if (state !== null) {
      this.#start.restored();
      // pid 1 (or our own) would turn a group signal into "every process" or suicide; never trust it.
      const pid = optionalInt(state.pid, 2);
      this.#pid = pid === process.pid ? null : pid;
      this.#port = optionalInt(state.port, 1);
      this.#startTime = optionalInt(state.start_time, 0);
      this.#logPath = typeof state.log_file === 'string' ? state.log_file : null;
    }
  }

  /** Where and as whom the server runs; throws a HubError when that cannot be arranged. */
  protected abstract plan(): Promise<LaunchPlan>;

  get logFile(): string | null {
    return this.#logPath;
  }

  state(): Record<string, unknown> {
    return { pid: this.#pid, port: this.#port, start_time: this.#startTime, log_file: this.#logPath };
  }

  progress(): AsyncIterable<ProgressEvent> {
    return this.#start.progress.events();
  }

  start(): Promise<string> {
    return this.#start.run(() => this.#launch());
  }

  async #launch(): Promise<string> {
    const { config } = this.req;
    const plan = await this.plan();
    // A fixed `port` is the admin's to keep free; a picked one is reserved until the server should be
    // listening (the manager gives up after these two timeouts).
    if (config.port !== 0) return this.#spawn(plan, config.port);
    const port = await pickPort(config.port_range, (config.start_timeout + config.http_timeout) * 1000);
    try {
      return await this.#spawn(plan, port);
    } catch (err) {
      releasePort(port);
      throw err;
    }
  }

  #environment(plan: LaunchPlan, bindUrl: string): Record<string, string> {
    const { config, user } = this.req;
    const env = keptEnv([], config.env_keep);
    Object.assign(env, this.req.env, plan.env);
    // jupyterhub-singleuser binds to the host and port of this URL.
    env.JUPYTERHUB_SERVICE_URL = `${bindUrl}/`;
    if (config.notebook_dir !== null) env.JUPYTERHUB_ROOT_DIR = expandUsername(config.notebook_dir, user.name);
    if (config.default_url !== null) env.JUPYTERHUB_DEFAULT_URL = expandUsername(config.default_url, user.name);
    for (const [k, v] of Object.entries(config.environment)) env[k] = expandUsername(v, user.name);
    return env;
  }

  async #spawn(plan: LaunchPlan, port: number): Promise<string> {
    const { config, user, serverName, stateDir, log } = this.req;
    const url = `http://${connectHost(config.ip)}:${port}`;
    const env = this.#environment(plan, `http://${config.ip.includes(':') ? `[${config.ip}]` : config.ip}:${port}`);
    const [command, ...cmdArgs] = config.cmd;
    const exe = command === undefined ? null : findExecutable(command, env.PATH, plan.cwd);
    if (exe === null) {
      const where = command?.includes('/') ? '' : ` on PATH (${env.PATH ?? 'unset'})`;
      throw spawnFailed(
        `Cannot start the server: command ${JSON.stringify(command ?? '')} not found${where}, or not executable`,
      );
    }
    // An app with web pages where jupyterhub-singleuser's own choice would have none (see singleuser-app.ts).
    if (env.JUPYTERHUB_SINGLEUSER_APP === undefined) {
      const app = await singleuserAppFor(exe);
      if (app) env.JUPYTERHUB_SINGLEUSER_APP = app;
    }
    const args = [...cmdArgs, ...config.args];
    const uid = plan.runAs?.uid ?? process.getuid?.() ?? -1;
    // jupyter-server and the classic notebook refuse to start as root without --allow-root, a guard
    // against users running notebooks as root by mistake. Here the admin chose to run the hub's
    // servers as root (SimpleSpawner as root, or a hub user mapped to root), so we pass it on.
    if (uid === 0 && !args.includes('--allow-root')) args.push('--allow-root');

    const { file, argv, ...ids } = wrapRunAs(exe, args, plan.runAs);

    const cmdline = [exe, ...args].join(' ');
    const logPath = logFilePath(stateDir, user.name, serverName);
    this.#logPath = logPath;
    this.#start.progress.push(`Starting ${cmdline}`);
    if (this.#start.stopRequested) throw spawnFailed('The start was cancelled by a stop request');
    const { fd, offset } = openLog(logPath);
    noteInLog(logPath, `starting ${cmdline} in ${plan.cwd} on ${url}${plan.runAs ? ` as uid ${plan.runAs.uid}` : ''}`);
    let child: ChildProcess;
    try {
      // detached: its own session and process group, so that signals aimed at the hub (Ctrl-C,
      // a restart) do not reach it and stop() can signal the server with everything it started.
      child = spawn(file, argv, { cwd: plan.cwd, env, detached: true, stdio: ['ignore', fd, fd], ...ids });
    } finally {
      // The child has its own copy; the hub keeps nothing open, so the server outlives the hub.
      closeSync(fd);
    }
    try {
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
    } catch (err) {
      throw spawnFailed(`Cannot start the server: ${cmdline}: ${(err as Error).message}`);
    }
    const pid = child.pid!;
    this.#pid = pid;
    this.#port = port;
    this.#startTime = readProcStat(pid)?.startTime ?? null;
    await this.#saveState();
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#exitStatus = code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0);
        noteInLog(logPath, `server (pid ${pid}) exited with ${code !== null ? `status ${code}` : signal}`);
        resolve();
      });
    });
    child.unref();

    // A server that cannot run at all (bad arguments, missing module) dies within moments; catching
    // that here gives a message with its output, instead of a timeout while waiting for HTTP.
    const deadline = Date.now() + this.#graceMs;
    while (this.#exitStatus === null && !this.#start.stopRequested && Date.now() < deadline) {
      if (await isListening(port, 100)) {
        // Something answering this early may be another program that took the port first; ours would
        // then die at once failing to bind. A moment's wait lets the check below catch that, rather
        // than routing users to a stranger's server.
        await Promise.race([sleep(250), this.#exited]);
        break;
      }
      await Promise.race([sleep(50), this.#exited]);
    }
    if (this.#exitStatus !== null) {
      const tail = logTail(logPath, offset);
      throw spawnFailed(
        `The server exited immediately with status ${this.#exitStatus}: ${cmdline}${tail ? `\nLast lines of ${logPath}:\n${tail}` : ` (no output in ${logPath})`}`,
      );
    }
    log.info({ pid, port, cmd: cmdline, log_file: logPath }, 'single-user server process started');
    this.#start.progress.push(`Waiting for the server to listen on ${url}`);
    return url;
  }

  /** The pid saved before the start is over, so a hub killed meanwhile stops this process on restart. */
  async #saveState(): Promise<void> {
    try {
      await this.req.onState?.(this.state());
    } catch (err) {
      this.req.log.warn({ err: (err as Error).message }, 'could not save the starting server state');
    }
  }

  #alive(): boolean {
    return this.#pid !== null && this.#exitStatus === null && isOurProcess(this.#pid, this.#startTime);
  }

  async poll(): Promise<number | null> {
    if (this.#exitStatus !== null) return this.#exitStatus;
    if (this.#pid === null) return 1;
    if (this.#alive()) return null;
    // Our own child may have died a moment before Node reported its status: wait for it briefly.
    if (this.#exited !== null) await Promise.race([this.#exited, sleep(1000)]);
    return this.#exitStatus ?? 1;
  }

  stop(): Promise<void> {
    return this.#start.stop(() => this.#halt());
  }

  // A start in flight has given up before spawning or finished within its short grace period by now;
  // whatever it started is stopped here (the manager stops on a start timeout, too).
  async #halt(): Promise<void> {
    const pid = this.#pid;
    if (pid === null || !this.#alive()) return;
    // Signal the whole group when the server leads one (it does when we started it), so helpers
    // it started go too; the pid alone if something regrouped it.
    const leadsGroup = (readProcStat(pid)?.pgrp ?? pid) === pid;
    this.#signal(pid, leadsGroup, 'SIGTERM');
    if (!(await this.#waitGone(this.#termTimeoutMs))) {
      this.req.log.warn({ pid }, `server did not exit ${this.#termTimeoutMs} ms after SIGTERM; sending SIGKILL`);
      if (this.#alive()) this.#signal(pid, leadsGroup, 'SIGKILL');
      if (!(await this.#waitGone(KILL_WAIT_MS)))
        throw new Error(`The server (pid ${pid}) did not exit even after SIGKILL`);
    }
    // Stragglers in its group (a wrapper's children that ignored SIGTERM). The group id cannot have
    // been reused while any member lives, so this reaches nobody else.
    if (leadsGroup) this.#signal(pid, true, 'SIGKILL');
  }

  #signal(pid: number, group: boolean, signal: NodeJS.Signals): void {
    if (pid < 2) return;
    try {
      process.kill(group ? -pid : pid, signal);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  }

  async #waitGone(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    for (;;) {
      if (!this.#alive()) {
        // Collect our child's status so poll() reports it rather than "unknown".
        if (this.#exited !== null) await Promise.race([this.#exited, sleep(500)]);
        return true;
      }
      if (Date.now() >= deadline) return false;
      await (this.#exited ? Promise.race([sleep(50), this.#exited]) : sleep(50));
    }
  }
}
