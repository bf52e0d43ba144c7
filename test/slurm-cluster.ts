// A real one-node Slurm cluster for the slurm spawner's tests: munged, slurmctld and slurmd from
// Debian's slurm-wlm and munge, all on 127.0.0.1, with every file in a temp directory.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { freePort } from './process.ts';

const run = promisify(execFile);

const BINARIES = ['/usr/sbin/munged', '/usr/sbin/slurmctld', '/usr/sbin/slurmd', '/usr/bin/sbatch', '/usr/bin/squeue'];

export interface SlurmCluster {
  dir: string;
  /** SLURM_CONF for sbatch, squeue, scancel and scontrol. */
  conf: string;
  /** Runs a Slurm client command against this cluster; resolves with its stdout. */
  client(cmd: string, args: string[]): Promise<string>;
  stop(): Promise<void>;
}

/** Why the cluster cannot run here (binaries missing, or not root), or null when it can. */
export function slurmUnavailable(): string | null {
  const missing = BINARIES.filter((b) => !existsSync(b));
  if (missing.length) return `Slurm tests skipped: ${missing.join(', ')} missing (apt-get install slurm-wlm munge)`;
  if (process.getuid?.() !== 0) return 'Slurm tests skipped: slurmd must run as root';
  return null;
}

function slurmConf(dir: string, ctldPort: number, dPort: number): string {
  return `ClusterName=tshubtest
SlurmctldHost=localhost(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=${ctldPort}
SlurmdPort=${dPort}
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=${dir}/munge/munge.socket
StateSaveLocation=${dir}/state
SlurmdSpoolDir=${dir}/spool
SlurmctldPidFile=${dir}/slurmctld.pid
SlurmdPidFile=${dir}/slurmd.pid
SlurmctldLogFile=${dir}/log/slurmctld.log
SlurmdLogFile=${dir}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerNode=256
SchedulerParameters=sched_interval=1
ReturnToService=2
MpiDefault=none
SwitchType=switch/none
InactiveLimit=0
MinJobAge=30
KillWait=3
Waittime=0
NodeName=localhost NodeAddr=127.0.0.1 CPUs=2 RealMemory=2048 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
`;
}

function readTail(file: string): string {
  try {
    return readFileSync(file, 'utf8').slice(-2000);
  } catch {
    return `(no ${file})`;
  }
}

function pidIn(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 1 ? pid : null;
  } catch {
    return null;
  }
}

async function killAndWait(pid: number | null): Promise<void> {
  if (pid === null) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  for (let i = 0; i < 100; i++) {
    await sleep(100);
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone meanwhile
  }
}

/** Starts the three daemons and waits until the node takes jobs. */
export async function startSlurmCluster(): Promise<SlurmCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'tshub-slurm-'));
  for (const d of ['munge', 'state', 'spool', 'log']) mkdirSync(join(dir, d), { mode: 0o755 });
  writeFileSync(join(dir, 'munge', 'munge.key'), randomBytes(1024), { mode: 0o400 });
  const conf = join(dir, 'slurm.conf');
  writeFileSync(conf, slurmConf(dir, await freePort(), await freePort()));
  const env = { ...process.env, SLURM_CONF: conf };
  const client = async (cmd: string, args: string[]) => (await run(cmd, args, { env, timeout: 30_000 })).stdout;
  const stop = async () => {
    // Jobs first (their slurmstepd outlives slurmd), then the daemons, then the files.
    await client('scancel', ['--full', '--partition=debug']).catch(() => '');
    for (let i = 0; i < 50 && (await client('squeue', ['-h']).catch(() => '')).trim() !== ''; i++) await sleep(200);
    await killAndWait(pidIn(join(dir, 'slurmd.pid')));
    await killAndWait(pidIn(join(dir, 'slurmctld.pid')));
    await killAndWait(pidIn(join(dir, 'munge', 'munged.pid')));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await run('/usr/sbin/munged', [
      '--force',
      `--key-file=${dir}/munge/munge.key`,
      `--socket=${dir}/munge/munge.socket`,
      `--pid-file=${dir}/munge/munged.pid`,
      `--log-file=${dir}/log/munged.log`,
      `--seed-file=${dir}/munge/munged.seed`,
    ]);
    await run('/usr/sbin/slurmctld', ['-i', '-f', conf], { env });
    await run('/usr/sbin/slurmd', ['-N', 'localhost', '-f', conf], { env });
    const deadline = Date.now() + 30_000;
    for (;;) {
      const state = await client('sinfo', ['-h', '-o', '%T']).catch(() => '');
      if (state.trim() === 'idle') break;
      if (Date.now() > deadline) {
        const logs = ['slurmctld', 'slurmd'].map((n) => readTail(join(dir, 'log', `${n}.log`)));
        throw new Error(
          `the Slurm node did not become idle (sinfo: ${state.trim() || 'no answer'}):\n${logs.join('\n')}`,
        );
      }
      await sleep(200);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { dir, conf, client, stop };
}
