import { cpuSeconds } from './proc.ts';
import type { TshubTarget } from './start-tshub.ts';

async function readyServers(t: TshubTarget): Promise<number> {
  const r = await fetch(`${t.apiUrl}users?state=ready&limit=1`, {
    headers: { authorization: `token ${t.configToken}`, accept: 'application/jupyterhub-pagination+json' },
  });
  return r.ok ? Number(((await r.json()) as { _pagination: { total: number } })._pagination.total) : 0;
}

/** Resolves once `pid` used under 50 ms of CPU in a second (or after `maxMs`): the hub has gone quiet. */
export async function waitQuiet(pid: number, maxMs = 180_000): Promise<void> {
  for (let last = cpuSeconds(pid), quietBy = Date.now() + maxMs; Date.now() < quietBy; ) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = cpuSeconds(pid);
    if (now - last < 0.05) return;
    last = now;
  }
}

/**
 * After a restart over filled spawner rows: waits until the hub reports `count` servers ready and has gone
 * quiet. The rows read as ready at once, but the hub is still re-adopting them (a poll each, a proxy route
 * each), so figures taken before that would measure the adoption.
 */
export async function waitAdopted(t: TshubTarget, count: number): Promise<void> {
  const deadline = Date.now() + 180_000;
  while ((await readyServers(t)) < count) {
    if (Date.now() > deadline) throw new Error(`the hub did not re-adopt ${count} servers within 180 s`);
    await new Promise((r) => setTimeout(r, 500));
  }
  await waitQuiet(t.pid());
}
