import type { FastifyError, FastifyInstance } from 'fastify';
import { HubError } from '../errors/index.ts';

const REASON_PHRASES: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
};

/**
 * A write that lost a race to a concurrent one on a unique key (two creations of the same name at once:
 * the check for an existing row passed for both). The loser is told what a later request would be told.
 */
function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: unknown; errcode?: unknown };
  // SQLite's SQLITE_CONSTRAINT_UNIQUE / _PRIMARYKEY; PostgreSQL's unique_violation.
  return (e.code === 'ERR_SQLITE_ERROR' && (e.errcode === 2067 || e.errcode === 1555)) || e.code === '23505';
}

function body(status: number, message: string, extra: Record<string, unknown> = {}) {
  return { status, message, ...extra };
}

export function registerErrorHandling(app: FastifyInstance<any, any, any, any, any>, apiPrefix: string): void {
  // `/hub/api` itself (no slash, maybe a query) is the API too.
  const isApi = (url: string) =>
    url.startsWith(apiPrefix) || url === apiPrefix.slice(0, -1) || url.startsWith(`${apiPrefix.slice(0, -1)}?`);
  app.setErrorHandler((err: FastifyError | HubError, req, reply) => {
    let status: number;
    let message: string;
    let extra: Record<string, unknown> = {};
    if (err instanceof HubError) {
      status = err.status;
      message = err.message;
      if (err.reason) extra.reason = err.reason;
      extra = { ...extra, ...err.extra };
      for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
    } else if (err.validation) {
      status = 400;
      message = err.message;
    } else if (isUniqueViolation(err)) {
      status = 409;
      message = 'Conflict: it already exists (created by a concurrent request)';
    } else if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      status = err.statusCode;
      message = err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'Request body too large' : err.message;
    } else {
      status = 500;
      message = REASON_PHRASES[500]!;
      req.log.error({ err }, 'unhandled error');
    }
    if (status === 401 && !reply.getHeader('WWW-Authenticate'))
      reply.header('WWW-Authenticate', 'Bearer error="invalid_token"');
    reply.code(status);
    if (isApi(req.url) || !req.headers.accept?.includes('text/html')) {
      // Our own serializer: a route's response schema for this status (an OAuth error body, an HTML
      // page) must not reshape the error, or fail on it and turn a 4xx into a 500.
      return reply
        .type('application/json')
        .serializer(JSON.stringify)
        .send(body(status, message, extra));
    }
    return reply
      .type('text/html; charset=utf-8')
      .serializer(String)
      .send(
        `<!doctype html><title>${status} ${REASON_PHRASES[status] ?? ''}</title><h1>${status} ${REASON_PHRASES[status] ?? ''}</h1><p>${escapeHtml(message)}</p>`,
      );
  });

  app.setNotFoundHandler((req, reply) => {
    reply.code(404);
    if (isApi(req.url) || !req.headers.accept?.includes('text/html')) {
      return reply.type('application/json').send(body(404, 'Not Found'));
    }
    return reply
      .type('text/html; charset=utf-8')
      .send('<!doctype html><title>404 Not Found</title><h1>404 Not Found</h1>');
  });
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
