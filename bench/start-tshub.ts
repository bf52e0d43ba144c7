import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { countTokens, fillTshubTokens } from './fill.ts';
import { freePorts, startChild, tempDir, waitForHttp, type Child } from './proc.ts';
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

export interface TshubOptions {
  /** Directory for --cpu-prof output; no profiling when absent. */
  cpuProfDir?: string;
  /** Extra flags for tshub's node (e.g. --max-semi-space-size=1). */
  nodeFlags?: string[];
}

/** Starts tshub as a real child process (free loopback ports, SQLite in a temp dir) and waits for its API. */
export async function startTshub(opts: TshubOptions = {}): Promise<Target> {
  const dir = tempDir('tshub-bench-');
  const [publicPort, hubPort] = await freePorts(2);
  const dbPath = join(dir, 'tshub.sqlite');
  const configToken = `bench-admin-${randomBytes(16).toString('hex')}`;
  const configFile = join(dir, 'tshub.json');
  writeFileSync(
    configFile,
    JSON.stringify(
      {
        bind_url: `http://127.0.0.1:${publicPort}/`,
        hub_bind_url: `http://127.0.0.1:${hubPort}/`,
        db_url: `sqlite:///${dbPath}`,
        cookie_secret_file: join(dir, 'cookie_secret'),
        log_level: 'warn',
        authenticator: { class: 'dummy', admin_users: ['admin'] },
        api_tokens: { [configToken]: 'admin' },
        tokens: { max_active_per_user: 0 },
      },
      null,
      2,
    ),
  );
  const apiUrl = `http://127.0.0.1:${hubPort}/hub/api/`;
  let child: Child;
  let profiles = 0;

  const launch = async () => {
    const nodeFlags = [...(opts.nodeFlags ?? [])];
    if (opts.cpuProfDir) nodeFlags.push('--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`, `--cpu-prof-name=tshub-${++profiles}.cpuprofile`);
    child = startChild(process.execPath, [...nodeFlags, join(REPO_ROOT, 'bin', 'tshub.js'), 'serve', '--config', configFile], {
      cwd: dir,
      env: childEnv(),
      label: 'tshub',
    });
    await waitForHttp(apiUrl, child, 'tshub');
  };
  await launch();

  return {
    name: 'tshub',
    apiUrl,
    configToken,
    pid: () => child.pid,
    outputTail: () => child.tail(),
    countTokens: () => countTokens(dbPath),
    async fillTokens(count: number, fill: FillOptions) {
      let t = performance.now();
      await child.stop();
      fill.log(`tshub stopped in ${((performance.now() - t) / 1000).toFixed(1)} s; inserting ${count} tokens`);
      t = performance.now();
      const tokens = fillTshubTokens(dbPath, count, fill.removeNote);
      fill.log(`inserted ${count} tokens in ${((performance.now() - t) / 1000).toFixed(1)} s; restarting tshub`);
      t = performance.now();
      await launch();
      fill.log(`tshub restarted in ${((performance.now() - t) / 1000).toFixed(1)} s`);
      return tokens;
    },
    stop: () => child.stop(),
  };
}
