import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freshDatabase, type TestDatabase } from '../src/db/test-helpers.ts';

/** Which proxy the hubs of a test run use: `tshub proxy` (the default), or with TSHUB_TEST_PROXY=chp configurable-http-proxy. */
export const TEST_PROXY: 'chp' | 'tshub' = process.env.TSHUB_TEST_PROXY === 'chp' ? 'chp' : 'tshub';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const TSHUB = [process.execPath, `${ROOT}bin/tshub.js`];

/** A free loopback port (bound and released; fine for tests that start one process right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export function runTshub(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      TSHUB[0]!,
      [TSHUB[1]!, ...args],
      { env: { ...process.env, ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

export interface RunningHub {
  proc: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

/** Starts `tshub serve` as a real process and waits until `readyUrl` answers. */
export async function spawnHub(args: string[], readyUrl: string, env: NodeJS.ProcessEnv = {}): Promise<RunningHub> {
  const proc = spawn(TSHUB[0]!, [TSHUB[1]!, 'serve', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`tshub exited early:\n${out}`);
    try {
      const r = await fetch(readyUrl, { signal: AbortSignal.timeout(1000) });
      if (r.ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`tshub did not answer at ${readyUrl}:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    proc,
    output: () => out,
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Writes a YAML config for a hub run as a real process in `dir` (free loopback ports for the public
 * URL, the hub and the proxy API; SQLite in `dir` or, under `npm run test:pg`, a PostgreSQL database of
 * its own) plus `extra` lines; returns its path, the public URL, the hub's own URL (behind the proxy) and
 * the database (the test drops it).
 */
export async function writeHubConfig(
  dir: string,
  extra: string[] = [],
): Promise<{ cfg: string; pub: string; hubUrl: string; db: TestDatabase }> {
  const pub = `http://127.0.0.1:${await freePort()}/`;
  const hubUrl = `http://127.0.0.1:${await freePort()}/`;
  const cfg = join(dir, 'tshub.yaml');
  const db = await freshDatabase(dir);
  writeFileSync(
    cfg,
    [
      `bind_url: ${pub}`,
      `hub_bind_url: ${hubUrl}`,
      `db_url: "${db.url}"`,
      'cookie_secret_file: cookie_secret',
      `proxy: { class: ${TEST_PROXY}, api_url: "http://127.0.0.1:${await freePort()}" }`,
      ...extra,
    ].join('\n'),
  );
  return { cfg, pub, hubUrl, db };
}
