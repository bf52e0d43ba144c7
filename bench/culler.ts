import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBareNode } from './bare-node.ts';
import { fillTshubServers } from './fill.ts';
import { cpuSeconds } from './proc.ts';
import { REPO_ROOT, childEnv, type TshubTarget } from './start-tshub.ts';

function startTime(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
}

async function readyServers(t: TshubTarget): Promise<number> {
  const r = await fetch(`${t.apiUrl}users?state=ready&limit=1`, {
    headers: { authorization: `token ${t.configToken}`, accept: 'application/jupyterhub-pagination+json' },
  });
  return r.ok ? Number(((await r.json()) as { _pagination: { total: number } })._pagination.total) : 0;
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
      fillTshubServers(db, count, { url, state }),
    );
    const deadline = Date.now() + 180_000;
    while ((await readyServers(t)) < count) {
      if (Date.now() > deadline) throw new Error(`the hub did not re-adopt ${count} servers within 180 s`);
      await new Promise((r) => setTimeout(r, 500));
    }
    // The rows read as ready at once, but the restarted hub is still re-adopting them (a poll each, a
    // proxy route each): time the pass only once the hub has gone quiet.
    for (let last = cpuSeconds(t.pid()), quietBy = Date.now() + 180_000; Date.now() < quietBy; ) {
      await new Promise((r) => setTimeout(r, 1000));
      const now = cpuSeconds(t.pid());
      if (now - last < 0.05) break;
      last = now;
    }
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
