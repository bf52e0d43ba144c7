import type { HubServer } from '../http/server.ts';
import { requirePrincipal } from '../auth/authenticate.ts';
import type { Config } from '../config/index.ts';
import { missingScope } from '../errors/index.ts';
import { checkAccess } from '../rbac/index.ts';
import type { HubMetrics } from './registry.ts';

/**
 * `/hub/metrics` and, as upstream, `/hub/api/metrics` in Prometheus text format, guarded by read:metrics
 * unless authenticate_prometheus is false. Request durations are recorded by route pattern, never by raw
 * URL (names are user data, and each distinct label value is a series kept for the hub's lifetime).
 */
export function registerMetrics(
  app: HubServer,
  ctx: { baseUrl: string; config: Pick<Config, 'authenticate_prometheus' | 'tokens'> },
  metrics: HubMetrics,
  apiPrefix: string,
): void {
  // The histogram's series for each route, method and status, found without prom-client hashing the
  // label set on every request.
  const series = new Map<string, ReturnType<typeof metrics.requestDuration.labels>>();
  app.addHook('onResponse', async (req, reply) => {
    const handler = req.routeOptions.url ?? 'unknown';
    const key = `${reply.statusCode} ${req.method} ${handler}`;
    let s = series.get(key);
    if (!s) {
      s = metrics.requestDuration.labels({ code: String(reply.statusCode), method: req.method, handler });
      series.set(key, s);
    }
    s.observe(reply.elapsedTime / 1000);
    if (
      req.url.startsWith(apiPrefix) &&
      req.authFailure &&
      req.authFailure !== 'credentials_missing' &&
      reply.statusCode >= 400
    ) {
      metrics.authFailures.inc({ reason: req.authFailure });
    }
  });

  // JupyterHub serves them at both paths; the API one is what scrape configs using the API's URL use.
  for (const path of ['hub/metrics', 'hub/api/metrics']) {
    app.get(
      `${ctx.baseUrl}${path}`,
      {
        schema: {
          tags: ['hub'],
          summary: 'Prometheus metrics (needs read:metrics unless authenticate_prometheus is false)',
        },
      },
      async (req, reply) => {
        if (ctx.config.authenticate_prometheus) {
          const p = requirePrincipal(ctx, req);
          if (checkAccess(p.scopes, ['read:metrics'], null) !== 'ok') throw missingScope(['read:metrics']);
        }
        reply.type(metrics.registry.contentType);
        return metrics.registry.metrics();
      },
    );
  }
}
