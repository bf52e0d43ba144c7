import { cpus, loadavg, totalmem } from 'node:os';
import { api } from './http.ts';
import { formatValue, summary, WRK_GOALS, type Figures } from './report.ts';
import { JUPYTERHUB_BIN, jupyterhubAvailable, startJupyterhub } from './start-jupyterhub.ts';
import { startTshub } from './start-tshub.ts';
import { wrkAvailable } from './wrk.ts';
import { wrkBareNode, wrkHub, wrkTshubCacheOff, type WrkModeOptions } from './wrk-mode.ts';

// The --wrk run of bench/run.ts: bare node:http, tshub (read cache on, then off), JupyterHub, one after the
// other on the same machine, then the summary against issue 22's targets.

export interface WrkRunArgs {
  quick: boolean;
  'no-jupyterhub': boolean;
  duration?: string;
  'node-flags': string;
  log: (msg: string) => void;
  elapsed: () => string;
}

export async function runWrkMode(args: WrkRunArgs): Promise<void> {
  const { log } = args;
  if (!wrkAvailable()) {
    log("wrk mode skipped: Debian's `wrk` is not installed (apt-get install wrk)");
    return;
  }
  const withJupyterhub = !args['no-jupyterhub'] && jupyterhubAvailable();
  const o: WrkModeOptions = {
    duration: args.duration ? Number(args.duration) : args.quick ? 1 : 8,
    warmup: 1,
    connections: 32,
    users: 10_000,
    tokens: 100_000,
    settle: args.quick ? 2 : 5,
    log,
    figure: (name, value, unit) => log(`${name} ${formatValue(value, unit)} ${unit}`),
  };
  process.stdout.write(
    `# tshub bench --wrk (wrk -t2 -c${o.connections} -d${o.duration}s): nproc=${cpus().length} ` +
      `mem=${(totalmem() / 2 ** 30).toFixed(1)}GiB node=${process.version} loadavg=${loadavg()[0]!.toFixed(2)}\n`,
  );
  if (loadavg()[0]! > 1)
    log(`WARNING: the machine is busy (load average ${loadavg()[0]!.toFixed(2)}); figures will be low`);

  log('bare node:http');
  const bare = await wrkBareNode(o);

  log(`tshub: ${o.users} users, ${o.tokens} tokens`);
  const nodeFlags = args['node-flags'].split(/\s+/).filter((f) => f !== '');
  if (nodeFlags.length > 0) log(`tshub's node flags: ${nodeFlags.join(' ')}`);
  const tshub = await startTshub({ nodeFlags });
  const { figs: tshubFigs, prepared } = await wrkHub(tshub, o);
  log('tshub with the read cache off');
  await wrkTshubCacheOff(tshub, prepared, tshubFigs, o);
  await tshub.stop();

  let jhFigs: Figures | null = null;
  if (withJupyterhub) {
    log(`JupyterHub: ${o.users} users, ${o.tokens} tokens`);
    try {
      const jh = await startJupyterhub();
      log(`JupyterHub ${(await api(jh.apiUrl, 'GET', '', null)).json?.version ?? '?'} answers at ${jh.apiUrl}`);
      jhFigs = (await wrkHub(jh, o)).figs;
      await jh.stop();
    } catch (err) {
      log(`JupyterHub run FAILED, no comparison: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      process.exitCode = 1;
    }
  } else {
    log(
      args['no-jupyterhub']
        ? 'JupyterHub skipped (--no-jupyterhub)'
        : `JupyterHub skipped: ${JUPYTERHUB_BIN} not found`,
    );
  }
  process.stdout.write(`# summary after ${args.elapsed().trim()} (load average now ${loadavg()[0]!.toFixed(2)})\n`);
  for (const l of summary(tshubFigs, jhFigs, bare, WRK_GOALS)) process.stdout.write(`${l}\n`);
}
