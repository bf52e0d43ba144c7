// The token inventory's query (GET /hub/api/tokens) over 10,000 tokens of 1,000 users, in a SQLite file as a
// hub keeps it: each filter set asked repeatedly for its first page of 50, the latencies pooled for the p99
// (issue 20's goal: under 50 ms). `node bench/token-inventory.ts` runs it alone.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '../src/db/connect.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { parseInventoryFilter } from '../src/tokens/inventory-filter.ts';
import { inventoryPage, inventorySummary } from '../src/tokens/inventory.ts';
import { tokenPolicyOf } from '../src/tokens/policy.ts';
import { buildConfig } from '../src/config/index.ts';
import { fillInventory } from '../test/token-inventory-fixture.ts';
import type { Figures } from './report.ts';

const FILTERS: Record<string, string>[] = [
  {},
  { user: 'u0421' },
  { kind: 'api', state: 'active' },
  { never_expires: 'true', state: 'active,blocked' },
  { idle_days: '90', kind: 'api' },
  { scope: 'read:users' },
  { admin_scopes: 'true' },
  { note: 'deploy', created_after: new Date(Date.now() - 90 * 86_400_000).toISOString() },
  { expires_before: new Date(Date.now() + 7 * 86_400_000).toISOString(), state: 'active' },
  { state: 'blocked' },
];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export async function tokenInventoryBench(
  figures: Figures,
  o: { tokens: number; users: number; rounds: number; log: (msg: string) => void },
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tshub-bench-inventory-'));
  const db = connect({ kind: 'sqlite', path: join(dir, 'tshub.sqlite') });
  try {
    await migrateToLatest(db.k, db.kind);
    const nowMs = Date.now();
    o.log(`token inventory: filling ${o.tokens} tokens of ${o.users} users`);
    await fillInventory(db.k, { users: o.users, tokens: o.tokens, nowMs, baseUrl: '/' });
    // A policy in force, so the state filters and columns carry its conditions as a hub with one would.
    const policy = tokenPolicyOf(buildConfig({ tokens: { revoke_idle_after_days: 180 } }).tokens);
    const all: number[] = [];
    // CPU time as well: on a shared, loaded machine wall time mostly measures waiting for a core.
    const cpu: number[] = [];
    for (let round = 0; round < o.rounds; round++)
      for (const raw of FILTERS) {
        const q = { filter: parseInventoryFilter(raw), nowMs: Date.now(), policy, baseUrl: '/', withServices: true };
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        await inventoryPage(db.k, q, { offset: 0, limit: 50 });
        all.push(performance.now() - t0);
        const c = process.cpuUsage(c0);
        cpu.push((c.user + c.system) / 1000);
      }
    const t0 = performance.now();
    await inventorySummary(db.k, { filter: {}, nowMs, policy, baseUrl: '/', withServices: true });
    const summaryMs = performance.now() - t0;
    all.sort((a, b) => a - b);
    cpu.sort((a, b) => a - b);
    figures.set('token_inventory_p50_ms', percentile(all, 50), 'ms');
    figures.set('token_inventory_p99_ms', percentile(all, 99), 'ms');
    figures.set('token_inventory_cpu_p99_ms', percentile(cpu, 99), 'ms');
    figures.set('token_inventory_summary_ms', summaryMs, 'ms');
    o.log(
      `token inventory: ${all.length} queries, p50 ${percentile(all, 50).toFixed(1)} ms, p99 ${percentile(all, 99).toFixed(1)} ms (CPU p99 ${percentile(cpu, 99).toFixed(1)} ms), summary ${summaryMs.toFixed(1)} ms`,
    );
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const { Figures } = await import('./report.ts');
  const f = new Figures();
  await tokenInventoryBench(f, {
    tokens: 10_000,
    users: 1_000,
    rounds: 30,
    log: (m) => process.stderr.write(`# ${m}\n`),
  });
  for (const x of f.all()) process.stdout.write(`${x.name} ${x.value.toFixed(2)} ${x.unit}\n`);
}
