import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnFailed } from '../../errors/index.ts';
import { logTail } from '../log-file.ts';
import { expandUsername } from '../paths.ts';
import { OneStart } from '../one-start.ts';
import type { ProgressEvent, SpawnRequest, Spawner } from '../spawner.ts';
import { lookupSystemUser } from '../system-user.ts';
import { classifyJob, jobOutputPath, parseJobId, parseNodeAddr, type JobState } from './job-status.ts';
import { batchEnv, runCommand } from './run-command.ts';
import { assertJobSafeUsername, batchVars, renderScript } from './script.ts';
import { renderTemplate, shellWord, type TemplateVars } from './template.ts';

/** How long stop() waits for a cancelled job to leave the queue (batchspawner waits 10 polls of 1 s). */
const STOP_WAIT_MS = 15_000;

function stateString(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : null;
}

/** Whether something accepts TCP connections at host:port right now (the server may be on another node). */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1000, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/**
 * A server run as a Slurm batch job, as batchspawner's SlurmSpawner: the job script is submitted
 * with sbatch, watched with squeue and cancelled with scancel, every command a configured shell line
 * run behind exec_prefix (as the user). The job's wrapper picks the port on its node and reports it
 * (reportPort, from POST /hub/api/batchspawner); the job id, its node and the port are the state a
 * restarted hub re-adopts the job by.
 */
export class SlurmSpawner implements Spawner {
  readonly #req: SpawnRequest;
  #jobId: string | null = null;
  #host: string | null = null;
  #port: number | null = null;
  #logPath: string | null = null;
  #exitStatus: number | null = null;
  readonly #start = new OneStart();

  constructor(req: SpawnRequest, state: Record<string, unknown> | null = null) {
    this.#req = req;
    if (state !== null) {
      this.#start.restored();
      const id = stateString(state.job_id);
      this.#jobId = id !== null && /^\d+$/.test(id) ? id : null;
      this.#host = stateString(state.job_host);
      this.#port = typeof state.port === 'number' ? state.port : null;
      this.#logPath = stateString(state.log_file);
    }
  }

  get #cfg() {
    return this.#req.config.slurm;
  }

  get logFile(): string | null {
    return this.#logPath;
  }

  state(): Record<string, unknown> {
    return { job_id: this.#jobId, job_host: this.#host, port: this.#port, log_file: this.#logPath };
  }

  progress(): AsyncIterable<ProgressEvent> {
    return this.#start.progress.events();
  }

  /**
   * A configured command line behind exec_prefix, with the template variables filled in; the values
   * that do not come from the config (the user's name and home, the job and its node) as quoted words.
   */
  #line(template: string, vars: TemplateVars): string {
    const quoted = { ...vars };
    for (const k of ['username', 'homedir', 'job_id', 'host'])
      if (vars[k] !== undefined) quoted[k] = shellWord(vars[k]);
    const prefix = renderTemplate(this.#cfg.exec_prefix, quoted).trim();
    const cmd = renderTemplate(template, quoted);
    return prefix ? `${prefix} ${cmd}` : cmd;
  }

  #vars(): TemplateVars {
    return { username: this.#req.user.name, job_id: this.#jobId ?? '' };
  }

  start(): Promise<string> {
    return this.#start.run(() => this.#launch());
  }

  async #homedir(): Promise<string> {
    const { user } = this.#req;
    if (this.#cfg.req_homedir !== null) return expandUsername(this.#cfg.req_homedir, user.name);
    const account = await lookupSystemUser(user.name);
    if (account?.home) return account.home;
    throw spawnFailed(
      `Cannot submit the job: ${JSON.stringify(user.name)} has no system account to take a home directory from; set spawner.slurm.req_homedir`,
    );
  }

  reportPort(port: number): void {
    this.#port = port;
  }

  async #launch(): Promise<string> {
    const { config, log } = this.#req;
    assertJobSafeUsername(this.#req.user.name);
    const { vars, env } = batchVars(this.#req, await this.#homedir());
    const script = renderScript(config.slurm.batch_script, vars);
    const submit = this.#line(config.slurm.batch_submit_cmd, vars);
    if (this.#start.stopRequested) throw spawnFailed('The start was cancelled by a stop request');
    const out = await runCommand(submit, batchEnv(env), script);
    const jobId = out.code === 0 ? parseJobId(out.stdout) : null;
    if (jobId === null)
      throw spawnFailed(
        `Submitting the job failed (${submit}, exit status ${out.code}): ${(out.stderr || out.stdout).trim() || 'no output'}`,
      );
    this.#jobId = jobId;
    this.#logPath = jobOutputPath(script, jobId, this.#req.user.name);
    log.info({ job_id: jobId, cmd: submit }, 'Slurm job submitted');
    // Saved now: a hub killed while the job waits in the queue cancels it on restart, not leaves it behind.
    await this.#req
      .onState?.(this.state())
      .catch((err: Error) => log.warn({ err: err.message }, 'could not save the job id'));
    this.#start.progress.push(`Queued as job ${jobId}`);
    const host = await this.#waitRunning();
    this.#host = host;
    const addr = await this.#nodeAddress(host, vars);
    this.#start.progress.push(`Running on ${host}`);
    const port = await this.#waitListening(addr);
    const url = `http://${addr.includes(':') ? `[${addr}]` : addr}:${port}`;
    log.info({ job_id: jobId, host, url }, 'Slurm job running');
    return url;
  }

  /** Queries the job; a query that cannot run at all reads as "unknown" (the controller may be away). */
  async #query(): Promise<JobState> {
    const out = await runCommand(this.#line(this.#cfg.batch_query_cmd, this.#vars()), batchEnv()).catch(() => null);
    if (out === null) return { kind: 'unknown' };
    return classifyJob(out.stdout.trim() || out.stderr, this.#cfg);
  }

  #interval(): Promise<void> {
    return sleep(this.#cfg.startup_poll_interval * 1000);
  }

  #ended(state: Extract<JobState, { kind: 'gone' }>, when: string): Error {
    this.#exitStatus = state.status;
    const tail = this.#logPath ? logTail(this.#logPath, 0) : '';
    const where = this.#logPath ? `\nLast lines of ${this.#logPath}:\n${tail || '(none)'}` : '';
    return spawnFailed(`Job ${this.#jobId} ended ${when} (${state.text || 'gone from the queue'})${where}`);
  }

  async #waitRunning(): Promise<string> {
    let lastReason: string | null = null;
    for (;;) {
      if (this.#start.stopRequested) throw spawnFailed('The start was cancelled by a stop request');
      const state = await this.#query();
      if (state.kind === 'running') {
        if (state.host === null) throw spawnFailed(`Job ${this.#jobId} runs, but its host is not in the query output`);
        return state.host;
      }
      if (state.kind === 'gone') throw this.#ended(state, 'before it ran the server');
      if (state.kind === 'pending' && state.reason !== lastReason) {
        lastReason = state.reason;
        this.#start.progress.push(`Pending in queue${state.reason ? ` (${state.reason})` : ''}`);
      }
      await this.#interval();
    }
  }

  /** The node's address from node_addr_cmd, or its name when that says nothing. */
  async #nodeAddress(host: string, vars: TemplateVars): Promise<string> {
    if (this.#cfg.node_addr_cmd === '') return host;
    const out = await runCommand(this.#line(this.#cfg.node_addr_cmd, { ...vars, host }), batchEnv()).catch(() => null);
    return (out?.code === 0 ? parseNodeAddr(out.stdout) : null) ?? host;
  }

  /**
   * Until the server accepts connections on the port its wrapper reported (the latest report counts).
   * A server that cannot run dies moments after the job starts; noticing that here fails the spawn
   * with the job's own output instead of a timeout.
   */
  async #waitListening(addr: string): Promise<number> {
    let told: number | null = null;
    for (;;) {
      if (this.#start.stopRequested) throw spawnFailed('The start was cancelled by a stop request');
      const port = this.#port;
      if (port !== null && port !== told) {
        told = port;
        this.#start.progress.push(`The server reported port ${port}`);
      }
      if (port !== null && (await accepts(addr, port))) return port;
      const state = await this.#query();
      if (state.kind === 'gone')
        throw this.#ended(state, port === null ? 'before its server reported its port' : 'before its server listened');
      await this.#interval();
    }
  }

  async poll(): Promise<number | null> {
    if (this.#exitStatus !== null) return this.#exitStatus;
    if (this.#jobId === null) return 1;
    let state: JobState;
    try {
      state = await this.#query();
    } catch (err) {
      // A broken state_*_re must not take a running server down with it (nor the hub's poll loop).
      this.#req.log.error({ job_id: this.#jobId, err: (err as Error).message }, 'cannot read the Slurm job state');
      return null;
    }
    if (state.kind !== 'gone') return null;
    this.#exitStatus = state.status;
    return state.status;
  }

  stop(): Promise<void> {
    return this.#start.stop(() => this.#halt());
  }

  async #halt(): Promise<void> {
    if (this.#jobId === null || this.#exitStatus !== null) return;
    const cancel = this.#line(this.#cfg.batch_cancel_cmd, this.#vars());
    this.#req.log.info({ job_id: this.#jobId, cmd: cancel }, 'cancelling Slurm job');
    const out = await runCommand(cancel, batchEnv());
    if (out.code !== 0) this.#req.log.warn({ job_id: this.#jobId, stderr: out.stderr.trim() }, 'scancel failed');
    const deadline = Date.now() + STOP_WAIT_MS;
    while (Date.now() < deadline) {
      if ((await this.poll()) !== null) return;
      await sleep(500);
    }
    this.#req.log.warn(
      { job_id: this.#jobId },
      `Slurm job still in the queue ${STOP_WAIT_MS / 1000} s after cancelling`,
    );
  }
}
