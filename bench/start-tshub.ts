import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { countTokens, fillTshubTokens } from './fill.ts';
import { freePorts, killPidFile, onCleanup, startChild, tempDir, waitForHttp, type Child } from './proc.ts';
import type { FillOptions, Target } from './target.ts';

export const REPO_ROOT = resolve(import.meta.dirname, '..');

/** PATH and NODE_PATH under which configurable-http-proxy runs (the repo's, else Debian's). */
export function childEnv(): NodeJS.ProcessEnv {
  const nodeBin = join(REPO_ROOT, 'node_modules', '.bin');
  return {
    ...process.env,
    PATH: `${nodeBin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    NODE_PATH: process.env.NODE_PATH ?? '/usr/share/nodejs',
  };
}

export interface TshubTarget extends Target {
  whileStopped(what: string, log: (m: string) => void, fn: (dbPath: string) => void): Promise<void>;
  /** The hub's directory (config, database, the proxy's pid file). */
  stateDir: string;
  /** Stops the hub, replaces top-level config keys with `config`'s, restarts it. */
  reconfigure(config: Record<string, unknown>, log: (m: string) => void): Promise<void>;
}

export interface TshubOptions {
  /** Directory for --cpu-prof output; no profiling when absent. */
  cpuProfDir?: string;
  /** Extra flags for tshub's node (e.g. --max-semi-space-size=1). */
  nodeFlags?: string[];
  /** Config keys on top of the bench's own (top-level keys replace the bench's). */
  config?: Record<string, unknown>;
}

/** Starts tshub as a real child process (free loopback ports, SQLite in a temp dir) and waits for its API. */
export async function startTshub(opts: TshubOptions = {}): Promise<TshubTarget> {
  const dir = tempDir('tshub-bench-');
  const [publicPort, hubPort, proxyApiPort] = await freePorts(3);
  const dbPath = join(dir, 'tshub.sqlite');
  const configToken = `bench-admin-${randomBytes(16).toString('hex')}`;
  const configFile = join(dir, 'tshub.json');
  let config: Record<string, unknown> = {
    bind_url: `http://127.0.0.1:${publicPort}/`,
    hub_bind_url: `http://127.0.0.1:${hubPort}/`,
    // Not the default 8001: another hub or bench on the machine may hold it.
    proxy: { api_url: `http://127.0.0.1:${proxyApiPort}` },
    db_url: `sqlite:///${dbPath}`,
    cookie_secret_file: join(dir, 'cookie_secret'),
    log_level: 'warn',
    authenticator: { class: 'dummy', admin_users: ['admin'] },
    api_tokens: { [configToken]: 'admin' },
    tokens: { max_active_per_user: 0 },
    // Compared like for like with JupyterHub, which has no API rate limits.
    rate_limits: { enabled: false },
    ...opts.config,
  };
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  const apiUrl = `http://127.0.0.1:${hubPort}/hub/api/`;
  // A hub stopped while servers run leaves its proxy up for them (the culler bench does that): stop it at the end.
  onCleanup(() => killPidFile(join(dir, 'tshub-proxy.pid')));
  let child: Child;
  let profiles = 0;

  const launch = async () => {
    const nodeFlags = [...(opts.nodeFlags ?? [])];
    if (opts.cpuProfDir)
      nodeFlags.push(
        '--cpu-prof',
        `--cpu-prof-dir=${opts.cpuProfDir}`,
        `--cpu-prof-name=tshub-${++profiles}.cpuprofile`,
      );
    child = startChild(
      process.execPath,
      [...nodeFlags, join(REPO_ROOT, 'bin', 'tshub.js'), 'serve', '--config', configFile],
      {
        cwd: dir,
        env: childEnv(),
        label: 'tshub',
      },
    );
    await waitForHttp(apiUrl, child, 'tshub');
  };
  await launch();

  /** Stops the hub, changes its database directly (sizes the API would take minutes to reach), restarts it. */
  async function whileStopped<T>(what: string, log: (m: string) => void, fn: () => T): Promise<T> {
    let t = performance.now();
    await child.stop();
    log(`tshub stopped in ${((performance.now() - t) / 1000).toFixed(1)} s; inserting ${what}`);
    t = performance.now();
    const out = fn();
    log(`inserted ${what} in ${((performance.now() - t) / 1000).toFixed(1)} s; restarting tshub`);
    t = performance.now();
    await launch();
    log(`tshub restarted in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    return out;
  }

  return {
    name: 'tshub',
    apiUrl,
    configToken,
    pid: () => child.pid,
    outputTail: () => child.tail(),
    countTokens: () => countTokens(dbPath),
    async fillTokens(count: number, fill: FillOptions) {
      return whileStopped(`${count} tokens`, fill.log, () => fillTshubTokens(dbPath, count, fill.removeNote));
    },
    whileStopped: (what: string, log: (m: string) => void, fn: (dbPath: string) => void) =>
      whileStopped(what, log, () => fn(dbPath)),
    stateDir: dir,
    reconfigure: (patch: Record<string, unknown>, log: (m: string) => void) =>
      whileStopped(`config ${JSON.stringify(patch)}`, log, () => {
        config = { ...config, ...patch };
        writeFileSync(configFile, JSON.stringify(config, null, 2));
      }),
    stop: () => child.stop(),
  };
}
