import type { SpawnerConfig } from '../config/index.ts';
import { parseBytes } from '../spawners/docker/kwargs.ts';

/** A CPU count as Python's str(float) writes it, as JupyterHub's CPU_LIMIT reads: 2 -> '2.0'. */
const pyFloat = (n: number): string => (Number.isInteger(n) ? n.toFixed(1) : String(n));

/**
 * MEM_LIMIT, MEM_GUARANTEE (bytes), CPU_LIMIT and CPU_GUARANTEE (CPUs) as JupyterHub's Spawner.get_env
 * sets them for every spawner: only those configured, and not when zero. Sizes are parsed here once.
 */
export function resourceEnv(c: SpawnerConfig): Record<string, string> {
  const env: Record<string, string> = {};
  const bytes = (v: string | number | null, key: string): number => (v === null ? 0 : parseBytes(v, `spawner.${key}`));
  const memLimit = bytes(c.mem_limit, 'mem_limit');
  const memGuarantee = bytes(c.mem_guarantee, 'mem_guarantee');
  if (memLimit > 0) env.MEM_LIMIT = String(memLimit);
  if (memGuarantee > 0) env.MEM_GUARANTEE = String(memGuarantee);
  if (c.cpu_limit) env.CPU_LIMIT = pyFloat(c.cpu_limit);
  if (c.cpu_guarantee) env.CPU_GUARANTEE = pyFloat(c.cpu_guarantee);
  return env;
}
