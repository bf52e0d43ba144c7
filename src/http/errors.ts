import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  bodyTooLarge,
  concurrentConflict,
  HubError,
  internalError,
  invalidRequest,
  malformedRequest,
  notFound,
} from '../errors/index.ts';

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

/** Every error as the catalogue's: ours as thrown, Fastify's and the database's given their reason. */
function asHubError(err: FastifyError | HubError, req: FastifyRequest): HubError {
  if (err instanceof HubError) return err;
  if (err.validation) return invalidRequest(err.message);
  if (isUniqueViolation(err)) return concurrentConflict();
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return bodyTooLarge();
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500)
    return malformedRequest(err.statusCode, err.message);
  req.log.error({ err }, 'unhandled error');
  return internalError(REASON_PHRASES[500]!);
}

type AnyFastify = FastifyInstance<any, any, any, any, any>;

export function registerErrorHandling(app: AnyFastify, apiPrefix: string): void {
  // `/hub/api` itself (no slash, maybe a query) is the API too.
  const isApi = (url: string) =>
    url.startsWith(apiPrefix) || url === apiPrefix.slice(0, -1) || url.startsWith(`${apiPrefix.slice(0, -1)}?`);
  const wantsJson = (req: FastifyRequest) => isApi(req.url) || !req.headers.accept?.includes('text/html');
  app.setErrorHandler((thrown: FastifyError | HubError, req, reply) => {
    const err = asHubError(thrown, req);
    for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
    if (err.status === 401 && !reply.getHeader('WWW-Authenticate'))
      reply.header('WWW-Authenticate', 'Bearer error="invalid_token"');
    reply.code(err.status);
    if (wantsJson(req)) {
      // Our own serializer: a route's response schema for this status (an OAuth error body, an HTML
      // page) must not reshape the error, or fail on it and turn a 4xx into a 500.
      return reply.type('application/json').serializer(JSON.stringify).send(errorBody(err));
    }
    return sendPage(reply, err.status, err.message);
  });

  app.setNotFoundHandler((req, reply) => {
    if (wantsJson(req)) return sendNotFound(reply);
    return sendPage(reply, 404, null);
  });
}

/**
 * The API's own 404 for unknown paths under `apiPrefix` (…/hub/api): always JSON, and rate limited as
 * the API is, so scanning it costs what calling it does. Register it after the hub's request hooks.
 */
export async function registerApiNotFound(app: AnyFastify, apiPrefix: string): Promise<void> {
  await app.register(
    async (api: AnyFastify) => {
      api.setNotFoundHandler({ config: { rateLimit: 'default' } } as object, (_req, reply) => sendNotFound(reply));
    },
    { prefix: apiPrefix },
  );
}

/** JupyterHub's `{status, message}` with tshub's `reason` and the error's extra fields. */
export function errorBody(err: HubError): Record<string, unknown> {
  return { status: err.status, message: err.message, reason: err.reason, ...err.extra };
}

function sendNotFound(reply: FastifyReply): FastifyReply {
  return reply
    .code(404)
    .type('application/json')
    .send(errorBody(notFound('Not Found')));
}

function sendPage(reply: FastifyReply, status: number, message: string | null): FastifyReply {
  const title = `${status} ${REASON_PHRASES[status] ?? ''}`;
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .serializer(String)
    .send(
      `<!doctype html><title>${title}</title><h1>${title}</h1>${message === null ? '' : `<p>${escapeHtml(message)}</p>`}`,
    );
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
