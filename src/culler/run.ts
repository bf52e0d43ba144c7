import { formatDuration } from './format.ts';
import { HubClient, tlsTransport } from './hub-client.ts';
import type { CullLog } from './log.ts';
import type { CullerOptions } from './options.ts';
import { cullPass, describeSummary } from './pass.ts';

export function clientFor(opts: CullerOptions, userAgent: string): HubClient {
  return new HubClient({
    url: opts.url,
    token: opts.token,
    concurrency: opts.concurrency,
    timeoutMs: opts.requestTimeoutMs,
    transport: opts.sslEnabled ? tlsTransport(opts.internalCertsLocation) : undefined,
    userAgent,
  });
}

/** One pass, logged; true if it went through without any error. */
export async function runOnce(client: HubClient, opts: CullerOptions, log: CullLog): Promise<boolean> {
  try {
    const summary = await cullPass(client, opts, log);
    log.info(describeSummary(summary, opts));
    return summary.errors === 0;
  } catch (err) {
    log.error(`Cull pass failed: ${(err as Error).message}`);
    return false;
  }
}

/**
 * A pass now, then one every cull_every seconds until `signal` aborts. Like upstream's periodic
 * callback, a pass that overruns its interval makes the missed ones be skipped, never run back to back.
 */
export async function runForever(
  client: HubClient,
  opts: CullerOptions,
  log: CullLog,
  signal: AbortSignal,
): Promise<void> {
  const what = [`timeout ${formatDuration(opts.timeout * 1000)}`];
  if (opts.maxAge) what.push(`max age ${formatDuration(opts.maxAge * 1000)}`);
  if (opts.cullUsers) what.push(`culling users${opts.cullAdminUsers ? '' : ' (not admins)'}`);
  log.info(`Culling idle servers at ${opts.url} every ${opts.cullEvery} s: ${what.join(', ')}`);
  const intervalMs = opts.cullEvery * 1000;
  let slot = Date.now();
  while (!signal.aborted) {
    await runOnce(client, opts, log);
    const now = Date.now();
    slot += intervalMs;
    if (slot <= now) slot += Math.ceil((now - slot + 1) / intervalMs) * intervalMs;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, slot - now);
      signal.addEventListener('abort', done);
    });
  }
}
