import type { Histogram } from 'prom-client';
import { HubError, type Reason } from '../errors/index.ts';
import { ServerExitedError } from '../servers/wait-up.ts';
import type { SpawnReason, SpawnStatus } from './upstream.ts';

// One-line observations for the places that do the work (servers, proxy, start-up): each measures what
// JupyterHub measures at the same step, with its label values.

/** Runs `work` and observes how long it took, labelled success or failure by how it ended. */
export async function timedStatus<T>(histogram: Histogram<'status'>, work: () => Promise<T>): Promise<T> {
  const end = histogram.startTimer();
  try {
    const result = await work();
    end({ status: 'success' });
    return result;
  } catch (err) {
    end({ status: 'failure' });
    throw err;
  }
}

/** Runs `work` and, when it succeeds, observes how long it took (upstream times these only when they finish). */
export async function timed<T>(histogram: Histogram | undefined, work: () => Promise<T>): Promise<T> {
  const end = histogram?.startTimer();
  const result = await work();
  end?.();
  return result;
}

/** A spawner's poll, observed as running (null) or stopped (an exit status). */
export async function timedPoll(
  histogram: Histogram<'status'>,
  spawner: { poll(): Promise<number | null> },
): Promise<number | null> {
  const end = histogram.startTimer();
  const status = await spawner.poll();
  end({ status: status === null ? 'running' : 'stopped' });
  return status;
}

/** The refusals upstream names in the spawn histogram's `reason` label. */
const REFUSALS: Partial<Record<Reason, SpawnReason>> = {
  spawn_limit: 'throttled',
  active_server_limit: 'too-many-users',
  server_pending: 'already-pending',
};

/**
 * The outcome of a start, as upstream labels it: a client-side refusal (4xx) is a `failure`, anything else
 * that went wrong an `error`. The reason is one of a fixed few, never an error's text: every distinct
 * label value is another series kept in memory for the hub's lifetime.
 */
export function spawnOutcome(err?: unknown): { status: SpawnStatus; reason: SpawnReason } {
  if (err === undefined) return { status: 'success', reason: '' };
  if (err instanceof ServerExitedError) return { status: 'error', reason: 'exited' };
  if (!(err instanceof HubError)) return { status: 'error', reason: '' };
  return { status: err.status < 500 ? 'failure' : 'error', reason: REFUSALS[err.reason] ?? '' };
}

/** A finished start (err undefined: it succeeded), `startedAt` from Date.now() when it began. */
export function observeSpawn(histogram: Histogram<'status' | 'reason'>, startedAt: number, err?: unknown): void {
  histogram.observe(spawnOutcome(err), (Date.now() - startedAt) / 1000);
}

/** A start refused by a rule before anything began: observed (as an instant) and handed back to throw. */
export function refuseSpawn(histogram: Histogram<'status' | 'reason'> | undefined, err: HubError): HubError {
  histogram?.observe(spawnOutcome(err), 0);
  return err;
}
