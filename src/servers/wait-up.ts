import { probe } from '../lib/http-probe.ts';

/** A started server that exited before it answered (the spawn histogram's `exited` reason, as upstream's). */
export class ServerExitedError extends Error {
  override name = 'ServerExitedError';
}

/**
 * Waits until a freshly started server answers HTTP at `url` with anything but a 5xx, as the hub
 * does before routing users to it. Rejects after `timeoutMs`, or as soon as `alive()` says it died.
 */
export async function waitForHttp(url: string, timeoutMs: number, alive: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 50;
  let lastError = 'no answer';
  for (;;) {
    try {
      const r = await probe(url, AbortSignal.timeout(Math.min(5000, Math.max(100, deadline - Date.now()))));
      if (r.status < 500) return;
      lastError = `HTTP ${r.status}`;
    } catch (err) {
      lastError = (err as Error).message;
    }
    if (!(await alive())) throw new ServerExitedError(`the server exited before answering at ${url}`);
    if (Date.now() + delay > deadline)
      throw new Error(`the server did not answer at ${url} within ${Math.round(timeoutMs / 1000)} s (${lastError})`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 1000);
  }
}

/** Resolves 'timeout' after `ms`, without keeping the hub alive. */
export const sleep = (ms: number) => new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms).unref());

/** `p`, or a rejection naming `what` once `ms` have passed. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
