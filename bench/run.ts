// `npm run bench [-- --quick] [-- --no-jupyterhub] [-- --cpu-prof DIR] [-- --wrk [--duration S]]`
// Starts tshub (and a bare node:http server, and JupyterHub when installed) as real processes on loopback,
// loads them with autocannon, and prints one figure per line: `name value unit [ratio_vs_...=x]`.
// Progress goes to stderr; the final summary goes to stdout.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startBareNode } from './bare-node.ts';
import { api } from './http.ts';
import { load } from './load.ts';
import { cleanupAll, rssMb } from './proc.ts';
import { Figures, formatValue, summary } from './report.ts';
import { proxyThroughput, spawnStop } from './proxies.ts';
import { runScenarios, type ScenarioOptions } from './scenarios.ts';
import { cullerPass } from './culler.ts';
import { kubernetesBench } from './kubernetes.ts';
import { tokenInventoryBench } from './token-inventory.ts';
import { runWrkMode } from './run-wrk.ts';
import { JUPYTERHUB_BIN, jupyterhubAvailable, startJupyterhub } from './start-jupyterhub.ts';
import { startTshub } from './start-tshub.ts';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    'no-jupyterhub': { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    /** The load shape of issue 22 under wrk instead (bench/wrk-mode.ts). */
    wrk: { type: 'boolean', default: false },
    /** Seconds per measured run (default: 5, 8 with --wrk, 1 with --quick). */
    duration: { type: 'string' },
    /** Extra flags for tshub's node with --wrk, space-separated, e.g. '--max-semi-space-size=32' (V8's default). */
    'node-flags': { type: 'string', default: '' },
  },
});

const t0 = performance.now();
const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(0).padStart(3)} s`;
const log = (msg: string) => process.stderr.write(`# [${elapsed()}] ${msg}\n`);
const figureLog = (prefix: string) => (name: string, value: number, unit: string) =>
  process.stderr.write(`# [${elapsed()}] ${prefix}${name} ${formatValue(value, unit)} ${unit}\n`);

function jupyterhubVersion(): string {
  try {
    return execFileSync(JUPYTERHUB_BIN, ['--version'], { encoding: 'utf8', timeout: 30_000 }).trim();
  } catch {
    return 'unknown';
  }
}

// A closed pipe (e.g. `npm run bench | head`) must not end the run before the cleanup.
process.stdout.on('error', () => {});
process.stderr.on('error', () => {});
process.on('uncaughtException', (err) => {
  log(`FAILED: ${err.stack ?? err.message}`);
  void cleanupAll().then(() => process.exit(1));
});

let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (interrupted) return;
    interrupted = true;
    log(`${sig}: cleaning up`);
    void cleanupAll().then(() => process.exit(130));
  });
}

async function main(): Promise<void> {
  const quick = args.quick;
  const withJupyterhub = !args['no-jupyterhub'] && jupyterhubAvailable();
  const cpuProfDir = args['cpu-prof'] ? resolve(args['cpu-prof']) : undefined;
  if (cpuProfDir) mkdirSync(cpuProfDir, { recursive: true });
  const base = {
    duration: args.duration ? Number(args.duration) : quick ? 1 : 5,
    warmup: 1,
    repeats: quick ? 1 : 3,
    readConnections: 20,
    writeConnections: 10,
    totalUsers: 10_000,
    batchSize: 1_000,
    fillTokens: 100_000,
    log,
  };

  const jhVersion = withJupyterhub ? jupyterhubVersion() : 'not run';
  process.stdout.write(
    `# tshub bench${quick ? ' (--quick)' : ''}: nproc=${cpus().length} mem=${(totalmem() / 2 ** 30).toFixed(1)}GiB ` +
      `node=${process.version} jupyterhub=${jhVersion} loadavg=${loadavg()[0]!.toFixed(2)}\n`,
  );
  if (loadavg()[0]! > 1)
    log(`WARNING: the machine is busy (load average ${loadavg()[0]!.toFixed(2)}); figures will be low`);

  // --- the ceiling: bare node:http
  const bare = new Figures();
  {
    log('bare node:http server');
    const b = await startBareNode();
    const r = await load({
      url: b.url,
      connections: base.readConnections,
      duration: base.duration,
      warmup: base.warmup,
    });
    bare.set('bare_node_rps', r.rps, 'req/s');
    bare.set('bare_node_p99_ms', r.p99, 'ms');
    figureLog('')('bare_node_rps', r.rps, 'req/s');
    log(`bare node:http rss ${rssMb(b.child.pid).toFixed(1)} MB`);
    await b.child.stop();
  }

  // --- proxies in front of the same trivial backend: direct, configurable-http-proxy, tshub proxy
  await proxyThroughput(bare, {
    connections: base.readConnections,
    duration: base.duration,
    warmup: base.warmup,
    log,
    figure: figureLog(''),
  });

  // --- tshub
  log('starting tshub');
  const tshub = await startTshub({ cpuProfDir });
  log(`tshub answers at ${tshub.apiUrl}`);
  const tshubFigs = await runScenarios(tshub, { ...base, apiBatches: Infinity, figure: figureLog('') });
  await spawnStop(tshub, tshubFigs, { runs: 3, log, figure: figureLog('') });
  log(`culler: ${base.totalUsers} users with running servers`);
  const culler = await cullerPass(tshub, base.totalUsers, log);
  for (const [name, value] of [
    ['culler_pass_10000_servers_s', culler.wallS],
    ['culler_pass_hub_cpu_s', culler.hubCpuS],
  ] as const) {
    tshubFigs.set(name, value, 's');
    figureLog('')(name, value, 's');
  }
  await tshub.stop();
  await kubernetesBench(tshubFigs, { pods: quick ? 500 : 5_000, events: quick ? 5_000 : 50_000, log });
  await tokenInventoryBench(tshubFigs, { tokens: 10_000, users: 1_000, rounds: quick ? 5 : 30, log });
  if (cpuProfDir)
    log(`tshub CPU profiles in ${cpuProfDir} (summarize: node bench/profile-summary.ts ${cpuProfDir}/*.cpuprofile)`);

  // --- JupyterHub
  let jhFigs: Figures | null = null;
  if (withJupyterhub) {
    log(`starting JupyterHub ${jhVersion}`);
    try {
      const jh = await startJupyterhub();
      const root = await api(jh.apiUrl, 'GET', '', null);
      log(`JupyterHub ${root.json?.version ?? '?'} answers at ${jh.apiUrl}`);
      const opts: ScenarioOptions = {
        ...base,
        // ~10-13 s per 1,000 users through its API on this machine: time a few batches, insert the rest.
        apiBatches: quick ? 1 : 3,
        figure: figureLog('jupyterhub_'),
      };
      jhFigs = await runScenarios(jh, opts);
      await jh.stop();
    } catch (err) {
      // The tshub figures still stand; print them without the comparison.
      log(`JupyterHub run FAILED, no comparison: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      process.exitCode = 1;
      jhFigs = null;
    }
  } else {
    log(
      args['no-jupyterhub']
        ? 'JupyterHub skipped (--no-jupyterhub)'
        : `JupyterHub skipped: ${JUPYTERHUB_BIN} not found`,
    );
  }

  process.stdout.write(`# summary after ${elapsed().trim()} (load average now ${loadavg()[0]!.toFixed(2)})\n`);
  for (const l of summary(tshubFigs, jhFigs, bare)) process.stdout.write(`${l}\n`);
}

try {
  if (args.wrk) await runWrkMode({ ...args, log, elapsed });
  else await main();
} catch (err) {
  log(`FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
} finally {
  await cleanupAll();
}
