import { spawn } from 'node:child_process';
import { closeSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { ChpClient } from './chp-client.ts';
import { probe } from '../lib/http-probe.ts';
import { isAlive, killGroup, runsProgram } from '../lib/process.ts';
import {
  ensureDir,
  logTail,
  openLog,
  readLaunchRecord,
  readPid,
  removeFile,
  resolveToken,
  stateFiles,
  writeFileAtomic,
  type StateFiles,
  type TokenSource,
} from './state-files.ts';

export interface ChpLauncherOptions {
  /** The public URL (config bind_url): the proxy listens on its host and port. */
  bindUrl: string;
  /** Where the proxy's REST API listens (config proxy.api_url). */
  apiUrl: string;
  /** Where the proxy reaches the hub, e.g. http://127.0.0.1:8081: the default target. */
  hubUrl: string;
  /** The hub's base URL ('/' or '/prefix/'); error pages are at <hubUrl><base>hub/error/<code>. */
  baseUrl: string;
  /** Directory for tshub-proxy-token, tshub-proxy.pid and tshub-proxy.log. */
  stateDir: string;
  /** proxy.auth_token from the config (null: CONFIGPROXY_AUTH_TOKEN, else a kept or new token). */
  authToken: string | null;
  log: Logger;
  env?: NodeJS.ProcessEnv;
  /** The program to run; default: the installed configurable-http-proxy under this Node. */
  command?: string[];
  extraArgs?: string[];
  /** How long a new proxy may take to answer. */
  startTimeoutMs?: number;
  /** How long a running proxy may take to answer the adoption probe before it counts as hung. */
  probeTimeoutMs?: number;
}

export interface LaunchOutcome {
  action: 'adopted' | 'launched';
  pid: number | null;
}

export function chpCommand(): string[] {
  const pkg = createRequire(import.meta.url).resolve('configurable-http-proxy/package.json');
  // CHP is a Node script; running it with our own Node avoids depending on whatever `node` is on PATH.
  return [process.execPath, join(dirname(pkg), 'bin', 'configurable-http-proxy')];
}

/** `tshub proxy` (proxy.class: tshub), run by this Node from this checkout, as the hub itself runs. */
export function tshubProxyCommand(): string[] {
  return [process.execPath, fileURLToPath(new URL('../../bin/tshub.js', import.meta.url)), 'proxy'];
}

/**
 * How to tell the program in logs and messages, and what its /proc cmdline contains (`marker`):
 * for `node .../tshub.js proxy` the script name alone would also match the hub itself.
 */
function programOf(command: string[]): { name: string; marker: string } {
  const [, script, sub] = command;
  if (script !== undefined && basename(script) === 'tshub.js' && sub === 'proxy')
    return { name: 'tshub proxy', marker: 'tshub.js\0proxy\0' };
  const name = basename(command.at(-1) ?? 'configurable-http-proxy');
  return { name, marker: name };
}

function hostPort(url: string, what: string): { host: string; port: number } {
  const u = new URL(url);
  const port = u.port === '' ? (u.protocol === 'https:' ? 443 : 80) : Number(u.port);
  // CHP reads --port 0 as "use the default", so a free-port request cannot be honoured.
  if (port === 0) throw new Error(`${what} ${url}: port 0 is not supported by configurable-http-proxy; pick a port`);
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port };
}

/** Where to connect to reach a server bound to `host` (a wildcard bind is reached on loopback). */
function loopbackFor(host: string): string {
  return host === '' || host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
}

const TARGET_FLAGS = new Set(['--default-target', '--error-target']);

/** The arguments without the hub's URLs: what the proxy listens on and how it behaves. */
function listenArgs(args: string[]): string[] {
  return args.filter((_, i) => !TARGET_FLAGS.has(args[i]!) && !TARGET_FLAGS.has(args[i - 1] ?? ''));
}

function sameArgs(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Starts configurable-http-proxy as a detached process (its own session and process group), so
 * that neither a hub crash nor a SIGTERM to the hub's group reaches it and users keep their
 * connections; a restarted hub adopts it through the state files instead of starting another.
 */
export class ChpLauncher {
  readonly files: StateFiles;
  readonly token: string;
  readonly tokenSource: TokenSource;
  readonly client: ChpClient;
  readonly args: string[];
  /** The proxy's pid once started or adopted (null when adopted without a usable pid file). */
  pid: number | null = null;
  readonly #opts: ChpLauncherOptions;
  readonly #command: string[];
  readonly #marker: string;
  readonly #name: string;
  readonly #public: { host: string; port: number };
  readonly #api: { host: string; port: number };

  constructor(opts: ChpLauncherOptions) {
    this.#opts = opts;
    this.#command = opts.command ?? chpCommand();
    ({ name: this.#name, marker: this.#marker } = programOf(this.#command));
    ensureDir(opts.stateDir);
    this.files = stateFiles(opts.stateDir);
    const t = resolveToken({
      configToken: opts.authToken,
      env: opts.env ?? process.env,
      tokenFile: this.files.token,
      generate: true,
    })!;
    this.token = t.token;
    this.tokenSource = t.source;
    this.client = new ChpClient({ apiUrl: opts.apiUrl, authToken: this.token });
    this.#public = hostPort(opts.bindUrl, 'bind_url');
    const api = hostPort(opts.apiUrl, 'proxy.api_url');
    this.#api = api;
    const hub = opts.hubUrl.replace(/\/+$/, '');
    this.args = [
      '--ip',
      this.#public.host,
      '--port',
      String(this.#public.port),
      '--api-ip',
      api.host,
      '--api-port',
      String(api.port),
      '--default-target',
      hub,
      '--error-target',
      `${hub}${opts.baseUrl}hub/error`,
      ...(opts.extraArgs ?? []),
    ];
  }

  /** Our proxy's pid from the pid file, if that process is alive and still runs the proxy program. */
  #ownPid(): number | null {
    const pid = readPid(this.files.pid);
    return pid !== null && isAlive(pid) && runsProgram(pid, this.#marker) ? pid : null;
  }

  /** Adopts a proxy that answers with our token, or (re)launches one. */
  async start(): Promise<LaunchOutcome> {
    const { log } = this.#opts;
    const probe = await this.client.probe(this.#opts.probeTimeoutMs ?? 2000);
    const pid = this.#ownPid();
    if (probe.state === 'ok') {
      const record = readLaunchRecord(this.files.launch);
      const recorded = pid !== null && record?.pid === pid ? record.args : null;
      if (recorded && !sameArgs(listenArgs(recorded), listenArgs(this.args))) {
        log.warn(
          { pid, was: recorded, now: this.args },
          'proxy settings changed: restarting the proxy (open connections are cut)',
        );
        await this.#kill(pid!);
      } else {
        // A moved hub alone is no reason to cut users' connections: reconciling fixes the hub route;
        // only CHP's error pages keep going to the old address until the proxy restarts.
        if (recorded && !sameArgs(recorded, this.args))
          log.warn(
            { pid, was: recorded, now: this.args },
            'the running proxy was started for another hub URL; its error pages go there until it restarts',
          );
        this.pid = pid;
        log.info(
          { pid, api_url: this.client.apiUrl },
          'adopting the proxy already running (open connections are kept)',
        );
        return { action: 'adopted', pid };
      }
    } else if (pid !== null) {
      const why =
        probe.state === 'forbidden'
          ? 'rejects our token'
          : probe.state === 'other'
            ? `answers ${probe.status}`
            : 'does not answer';
      log.warn(
        { pid, api_url: this.client.apiUrl },
        `the proxy left by a previous hub ${why}: stopping it and starting a fresh one`,
      );
      await this.#kill(pid);
    } else {
      removeFile(this.files.pid);
      removeFile(this.files.launch);
      if (probe.state !== 'unreachable') {
        const why =
          probe.state === 'forbidden'
            ? `rejects our token (from ${this.tokenSource})`
            : `answers ${probe.status} to GET /api/routes`;
        throw new Error(
          `something at proxy.api_url ${this.client.apiUrl} ${why}, and it was not started from ${this.#opts.stateDir}, so tshub will not stop it: stop it, or give its token as proxy.auth_token with should_start: false`,
        );
      }
    }
    this.pid = await this.#launch();
    return { action: 'launched', pid: this.pid };
  }

  async #launch(): Promise<number> {
    const { log } = this.#opts;
    await this.#portsFree();
    const env = { ...(this.#opts.env ?? process.env), CONFIGPROXY_AUTH_TOKEN: this.token };
    const { fd, offset } = openLog(this.files.log);
    writeSync(fd, `--- ${new Date().toISOString()} tshub starts ${this.#name} ${this.args.join(' ')}\n`);
    let exited: string | null = null;
    let pid: number;
    try {
      const child = spawn(this.#command[0]!, [...this.#command.slice(1), ...this.args], {
        detached: true,
        stdio: ['ignore', fd, fd],
        env,
      });
      child.on('exit', (code, sig) => (exited = sig ? `was killed by ${sig}` : `exited with code ${code}`));
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', (e) =>
          reject(new Error(`cannot run the proxy (${this.#command.join(' ')}): ${e.message}`)),
        );
      });
      // The hub must be able to exit while the proxy keeps running.
      child.unref();
      pid = child.pid!;
    } finally {
      closeSync(fd);
    }
    writeFileAtomic(this.files.pid, `${pid}\n`);
    writeFileAtomic(
      this.files.launch,
      `${JSON.stringify({ pid, args: this.args, started: new Date().toISOString() })}\n`,
    );
    log.info(
      { pid, url: this.#opts.bindUrl, api_url: this.client.apiUrl, log_file: this.files.log },
      'starting the proxy',
    );

    const timeoutMs = this.#opts.startTimeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    let why = '';
    for (;;) {
      if (exited) {
        why = `the proxy ${exited}`;
        break;
      }
      // CHP logs and survives errors such as EADDRINUSE (it catches uncaught exceptions), so a
      // failed listen shows only in its log.
      const failure = /Uncaught Exception: (.*)/.exec(logTail(this.files.log, offset, 50));
      if (failure) {
        why = `the proxy reported: ${failure[1]}`;
        break;
      }
      const probe = await this.client.probe(1000);
      if (probe.state === 'ok' && (await this.#publicHealthy()) && isAlive(pid)) {
        log.info({ pid }, 'proxy is up');
        return pid;
      }
      if (Date.now() > deadline) {
        const api =
          probe.state === 'unreachable'
            ? probe.message
            : `GET /api/routes answered ${probe.state === 'other' ? probe.status : 403}`;
        why = `the proxy was not ready within ${timeoutMs / 1000} s (${probe.state === 'ok' ? `nothing answers ${this.#publicHost()}/_chp_healthz` : api})`;
        break;
      }
      await sleep(100);
    }
    await killGroup(pid, 2000).catch(() => {});
    removeFile(this.files.pid);
    removeFile(this.files.launch);
    const tail = logTail(this.files.log, offset);
    throw new Error(
      `could not start ${this.#name} on ${this.#opts.bindUrl} (API ${this.client.apiUrl}): ${why}; last lines of ${this.files.log}:\n${tail || '(empty)'}`,
    );
  }

  /** The origin that reaches the proxy's public side from here. */
  #publicHost(): string {
    const { host, port } = this.#public;
    const h = loopbackFor(host);
    return `http://${h.includes(':') ? `[${h}]` : h}:${port}`;
  }

  /** CHP's own health check on the public port: proves the proxy (not some other program) listens there. */
  async #publicHealthy(): Promise<boolean> {
    try {
      const res = await probe(`${this.#publicHost()}/_chp_healthz`, AbortSignal.timeout(1000));
      return res.status === 200 && (JSON.parse(res.body) as { status?: string } | null)?.status === 'OK';
    } catch {
      return false;
    }
  }

  /** Fails before launching when a port is taken, which CHP itself would only log. */
  async #portsFree(): Promise<void> {
    const taken = ({ host, port }: { host: string; port: number }) =>
      new Promise<boolean>((resolve) => {
        const s = connect({ host: loopbackFor(host), port, timeout: 1000 });
        const settle = (up: boolean) => {
          s.destroy();
          resolve(up);
        };
        s.once('connect', () => settle(true));
        s.once('timeout', () => settle(false));
        s.once('error', () => resolve(false));
      });
    // A proxy we have just stopped may hold its ports for a moment longer: give them up to 3 s.
    const stillTaken = async (where: { host: string; port: number }) => {
      for (let waited = 0; await taken(where); waited += 100) {
        if (waited >= 3000) return true;
        await sleep(100);
      }
      return false;
    };
    if (await stillTaken(this.#public)) {
      throw new Error(
        `cannot start the proxy on bind_url ${this.#opts.bindUrl}: another program already listens on ${this.#publicHost()}`,
      );
    }
    if (await stillTaken(this.#api)) {
      throw new Error(
        `cannot start the proxy with proxy.api_url ${this.client.apiUrl}: another program listens there and does not answer as a proxy`,
      );
    }
  }

  async #kill(pid: number): Promise<void> {
    await killGroup(pid);
    removeFile(this.files.pid);
    removeFile(this.files.launch);
    if (this.pid === pid) this.pid = null;
  }

  /** Normal hub shutdown leaves the proxy running; `kill: true` stops it (as terminate()). */
  async stop(opts: { kill?: boolean } = {}): Promise<void> {
    if (opts.kill) await this.terminate();
    this.client.close();
  }

  /** Stops the proxy this state dir names (pid file), and forgets it. */
  async terminate(): Promise<void> {
    const pid = this.pid !== null && isAlive(this.pid) ? this.pid : this.#ownPid();
    if (pid !== null) {
      this.#opts.log.info({ pid }, 'stopping the proxy');
      await this.#kill(pid);
    } else {
      removeFile(this.files.pid);
      removeFile(this.files.launch);
    }
  }
}
