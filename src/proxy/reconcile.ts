import type { Logger } from 'pino';
import { canonicalRoutespec } from './routespec.ts';
import type { RoutingProxy, ProxyRoute, WantedRoute } from './types.ts';

export interface ReconcileResult {
  added: string[];
  updated: string[];
  removed: string[];
}

export interface ReconcileOptions {
  /**
   * Routespecs to leave alone whatever the proxy has: servers in a pending state (JupyterHub does not
   * treat their routes as stale until the pending action is over; they may be about to be removed).
   */
  keep?: Iterable<string>;
  /** Requests in flight at once (JupyterHub: 10), so a big hub does not swamp the proxy. */
  concurrency?: number;
  /**
   * Feeds a fresh proxy the refused tokens (src/proxy/refusals.ts) before any route is added, so that a
   * restarted `tshub proxy` never forwards a refused token to a server; a failure leaves the routes alone.
   */
  refusals?: { ensureFed(): Promise<void> };
}

/** The hub's own route: JupyterHub's default route, data `{hub: true}`. */
export function hubRoute(hubUrl: string, routespec = '/'): Record<string, WantedRoute> {
  return { [routespec]: { target: hubUrl.replace(/\/+$/, ''), data: { hub: true } } };
}

function dataDiffers(want: Record<string, unknown>, have: Record<string, unknown>): boolean {
  // Only the keys the hub sets count: the proxy adds its own (last_activity).
  return Object.entries(want).some(([k, v]) => JSON.stringify(v) !== JSON.stringify(have[k]));
}

async function runLimited(tasks: (() => Promise<void>)[], limit: number): Promise<unknown[]> {
  const errors: unknown[] = [];
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const task = tasks[next++]!;
      await task().catch((err: unknown) => errors.push(err));
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return errors;
}

// One check at a time per proxy (as JupyterHub's check_routes): a slow check overlapping the next
// one would act on a stale view of the table.
const running = new WeakMap<RoutingProxy, Promise<unknown>>();

/**
 * Makes the proxy's hub-managed routes match `wanted` (routespec → target and data): adds missing
 * routes, re-adds those with another target or data, and deletes hub-managed routes nobody wants.
 * Routes without the hub's marker (added by someone else) are never seen or touched, and a route
 * with data `{hub: true}` is only dropped when `wanted` names a hub route somewhere else.
 */
export function reconcileRoutes(
  proxy: RoutingProxy,
  wanted: Record<string, WantedRoute>,
  log: Logger,
  opts: ReconcileOptions = {},
): Promise<ReconcileResult> {
  const prev = running.get(proxy) ?? Promise.resolve();
  const run = prev.catch(() => {}).then(() => reconcileOnce(proxy, wanted, log, opts));
  running.set(proxy, run);
  return run;
}

async function reconcileOnce(
  proxy: RoutingProxy,
  wanted: Record<string, WantedRoute>,
  log: Logger,
  opts: ReconcileOptions,
): Promise<ReconcileResult> {
  await opts.refusals?.ensureFed();
  const routes: Record<string, ProxyRoute> = await proxy.getRoutes();
  const want = new Map(Object.entries(wanted).map(([spec, w]) => [canonicalRoutespec(spec), w] as const));
  const keep = new Set(Array.from(opts.keep ?? [], canonicalRoutespec));
  const wantsHubRoute = [...want.values()].some((w) => w.data.hub === true);
  const result: ReconcileResult = { added: [], updated: [], removed: [] };
  const tasks: (() => Promise<void>)[] = [];

  for (const [spec, w] of want) {
    const have = routes[spec];
    if (!have) {
      log.info({ routespec: spec, target: w.target }, 'adding missing route');
      result.added.push(spec);
    } else if (have.target !== w.target || dataDiffers(w.data, have.data)) {
      log.warn({ routespec: spec, was: have.target, target: w.target }, 'updating route');
      result.updated.push(spec);
    } else {
      continue;
    }
    tasks.push(() => proxy.addRoute(spec, w.target, w.data));
  }
  for (const [spec, have] of Object.entries(routes)) {
    if (want.has(spec) || keep.has(spec)) continue;
    if (have.data.hub === true && !wantsHubRoute) continue;
    log.warn({ routespec: spec, target: have.target }, 'deleting stale route');
    result.removed.push(spec);
    tasks.push(() => proxy.deleteRoute(spec));
  }

  const errors = await runLimited(tasks, opts.concurrency ?? 10);
  if (errors.length) {
    const first = errors[0] as Error;
    throw new Error(`${errors.length} of ${tasks.length} route changes failed; first: ${first.message}`, {
      cause: first,
    });
  }
  return result;
}
