import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TokenUsageCollector } from './usage-collector.ts';

/**
 * The onResponse hook that counts each request made with a token (not a login cookie): in memory only,
 * see usage-collector.ts. The route is the matched pattern, never the URL, which may hold anything.
 */
export function tokenUsageHook(usage: Pick<TokenUsageCollector, 'record'>) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const token = req.principal?.token;
    if (!token) return;
    const ua = req.headers['user-agent'];
    const pattern = req.routeOptions.url;
    usage.record({
      tokenId: token.id,
      ip: req.ip ?? null,
      userAgent: typeof ua === 'string' && ua !== '' ? ua : null,
      route: pattern ? `${req.method} ${pattern}` : null,
      status: reply.statusCode,
      at: new Date(),
    });
  };
}
