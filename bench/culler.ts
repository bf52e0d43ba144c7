import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBareNode } from './bare-node.ts';
import { waitAdopted } from './adopt.ts';
import { fillTshubServers } from './fill.ts';
import { cpuSeconds } from './proc.ts';
import { REPO_ROOT, childEnv, type TshubTarget } from './start-tshub.ts';

function startTime(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
}

function runCuller(t: TshubTarget): Promise<void> {
  return new Promise((resolve, reject) => {
    // A long timeout: nothing is idle, so the pass is the listing and the decisions, as on a busy hub.
    execFile(
      process.execPath,
      [join(REPO_ROOT, 'bin', 'tshub.js'), 'cull', '--once', '--timeout=86400', `--url=${t.apiUrl.replace(/\/$/, '')}`],
      {
        env: { ...childEnv(), JUPYTERHUB_API_TOKEN: t.configToken },
        timeout: 300_000,
      },
      (err, _out, stderr) =>
        err ? reject(new Error(`culler failed: ${err.message}\n${stderr.slice(-2000)}`)) : resolve(),
    );
  });
}

/**
 * The idle culler's pass over `count` users with running servers: wall time of `tshub cull --once`,
 * and the hub's own CPU time during it (what the "2 s of hub time" is about).
 */
export async function cullerPass(
  t: TshubTarget,
  count: number,
  log: (m: string) => void,
): Promise<{ wallS: number; hubCpuS: number }> {
  const backend = await startBareNode();
  try {
    const url = new URL(backend.url).origin;
    const state = {
      pid: backend.child.pid,
      port: Number(new URL(url).port),
      start_time: startTime(backend.child.pid),
      log_file: '',
    };
    await t.whileStopped(`${count} users with running servers`, log, (db) =>
      fillTshubServers(db, count, { url, state: () => state, prefix: 'cull-' }),
    );
    await waitAdopted(t, count);
    const cpu0 = cpuSeconds(t.pid());
    const t0 = performance.now();
    await runCuller(t);
    const wallS = (performance.now() - t0) / 1000;
    const hubCpuS = cpuSeconds(t.pid()) - cpu0;
    log(`culler pass over ${count} servers: ${wallS.toFixed(2)} s, hub CPU ${hubCpuS.toFixed(2)} s`);
    return { wallS, hubCpuS };
  } finally {
    await backend.child.stop();
  }
}
