import Fastify, {
  LogController,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyTypeProvider,
} from 'fastify';
import { type IncomingMessage, STATUS_CODES } from 'node:http';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Static, TSchema } from 'typebox';
import type { Logger } from 'pino';
import { bodyTooLarge, invalidRequest, malformedRequest } from '../errors/index.ts';
import { errorBody, registerErrorHandling } from './errors.ts';
import { registerJsonBodies } from './json-body.ts';
import { requestLogger } from './request-logger.ts';
import { validatorCompiler } from './validator.ts';

/**
 * Request parts are typed from their TypeBox schemas; replies are not, because models are filtered per
 * caller's scopes (keys come and go) and the response schemas exist for serialization and OpenAPI.
 */
export interface HubTypeProvider extends FastifyTypeProvider {
  validator: this['schema'] extends TSchema ? Static<this['schema']> : unknown;
  serializer: unknown;
}

export type HubServer = FastifyInstance<any, any, any, any, HubTypeProvider>;

export interface ServerOptions {
  log: Logger;
  /** URL path prefix from bind_url, e.g. '/' or '/jhub/'. */
  baseUrl: string;
  bodyLimit: number;
  apiVersion: string;
  /** Which peers' X-Forwarded-* headers to believe (proxy-addr syntax), e.g. 'loopback' for a local proxy. */
  trustProxy: string;
  /** The public URL (bind_url) is https: browsers are told to keep to https (HSTS). */
  https?: boolean;
}

const NUL_ESCAPE = /%00/i;

export async function createServer(opts: ServerOptions): Promise<HubServer> {
  const apiPrefix = `${opts.baseUrl}hub/api/`;
  // Under the base URL, where the report route is (src/web/csp-report.ts).
  const CSP = `frame-ancestors 'none'; report-uri ${opts.baseUrl}hub/security/csp-report`;
  // Over plain http the header means nothing to browsers (and would be wrong behind a TLS-less setup).
  const hsts = opts.https ? { 'Strict-Transport-Security': 'max-age=31536000' } : {};
  const headersFor = (isApi: boolean) =>
    Object.freeze({
      'X-JupyterHub-Version': opts.apiVersion,
      'Content-Security-Policy': isApi ? `${CSP}; default-src 'none'` : CSP,
      'X-Content-Type-Options': 'nosniff',
      // frame-ancestors for browsers that predate it.
      'X-Frame-Options': 'DENY',
      // URLs can hold names, server paths and OAuth state: never tell another site where a user was.
      'Referrer-Policy': 'same-origin',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Resource-Policy': 'same-origin',
      // API answers are per caller (and some carry tokens); routes that may be cached say so themselves.
      ...(isApi ? { 'Cache-Control': 'no-store' } : {}),
      ...hsts,
    });
  const apiHeaders = headersFor(true);
  const pageHeaders = headersFor(false);
  const securityHeaders = (url: string) =>
    url.startsWith(apiPrefix) || url === apiPrefix.slice(0, -1) ? apiHeaders : pageHeaders;
  const app = Fastify({
    // URLs the router cannot take (bad percent-encoding, a path segment over maxParamLength) get our
    // JSON error shape and headers too, instead of Fastify's own body.
    frameworkErrors: (err, req, reply) => {
      const tooLong = err.code === 'FST_ERR_MAX_PARAM_LENGTH';
      const refusal = tooLong ? malformedRequest(414, 'URI Too Long') : invalidRequest('Invalid URL');
      void (reply as unknown as FastifyReply)
        .headers(securityHeaders(req.url))
        .code(refusal.status)
        .type('application/json')
        .send(errorBody(refusal));
    },
    // Requests Node's parser refuses (an unknown method, a malformed or oversized head) answer in our
    // error shape too. No body after a HEAD: the client would read it as the next response.
    clientErrorHandler: (err, socket) => {
      if (err.code === 'ECONNRESET' || socket.destroyed) return;
      const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
      const message =
        status === 431 ? 'Request header fields too large' : status === 408 ? 'Request timeout' : 'Bad request';
      const payload = JSON.stringify(errorBody(malformedRequest(status, message)));
      const raw: unknown = (err as { rawPacket?: unknown }).rawPacket;
      const head = Buffer.isBuffer(raw) && raw.subarray(0, 5).toString('latin1') === 'HEAD ';
      if (socket.writable) {
        socket.write(
          `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n\r\n${head ? '' : payload}`,
        );
      }
      socket.destroy();
    },
    loggerInstance: opts.log,
    // We log one line per request ourselves (onResponse), without headers that may carry secrets.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: opts.bodyLimit,
    trustProxy: opts.trustProxy,
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: false, maxParamLength: 1024 },
    requestIdHeader: 'x-request-id',
    childLoggerFactory: requestLogger,
  }).withTypeProvider<HubTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);

  app.addHook('onRequest', async (req, reply) => {
    reply.headers(securityHeaders(req.url));
    // No name, path or filter may hold a NUL character, and PostgreSQL refuses one in any text
    // parameter: answer 400 here rather than a database error later.
    if (NUL_ESCAPE.test(req.url)) throw invalidRequest('Invalid URL');
    // Fastify never reads the body of a GET or HEAD. Answered while that body is still arriving, the
    // socket is closed with data unread (Connection: close), which resets it: the client gets no answer.
    // So such a body is read first and dropped, up to the body limit.
    if ((req.method === 'GET' || req.method === 'HEAD') && hasBody(req.raw)) await discardBody(req.raw, opts.bodyLimit);
  });
  app.addHook('onResponse', async (req: FastifyRequest, reply) => {
    // One line per request, never with the Authorization header or a query string's secrets. The path
    // is the route's pattern; an unmatched path is left out, as it may hold anything (even a token).
    req.log.info(
      {
        method: req.method,
        path: req.routeOptions.url ?? '(no route)',
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request',
    );
  });

  registerJsonBodies(app);
  registerErrorHandling(app, apiPrefix);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'tshub REST API',
        version: opts.apiVersion,
        description: 'The JupyterHub-compatible REST API of tshub. Authenticate with `Authorization: token <token>`.',
      },
      components: {
        securitySchemes: {
          token: {
            type: 'apiKey',
            in: 'header',
            name: 'Authorization',
            description: '`token <token>` or `Bearer <token>`',
          },
        },
      },
      security: [{ token: [] }],
    },
  });
  return app;
}

/**
 * The API's documentation (Swagger UI) and its OpenAPI document, under `apiPrefix` (…/hub/api). Registered
 * by the API with its routes, so it is served under the same policy.
 */
export async function registerApiDocs(app: HubServer, apiPrefix: string): Promise<void> {
  await app.register(swaggerUi, { routePrefix: `${apiPrefix}/docs` });
  app.get(`${apiPrefix}/openapi.json`, { schema: { hide: true } }, async () => app.swagger());
}

function hasBody(raw: IncomingMessage): boolean {
  const length = raw.headers['content-length'];
  return (length !== undefined && length !== '0') || raw.headers['transfer-encoding'] !== undefined;
}

async function discardBody(raw: IncomingMessage, limit: number): Promise<void> {
  let bytes = 0;
  for await (const chunk of raw) {
    bytes += (chunk as Buffer).length;
    if (bytes > limit) throw bodyTooLarge();
  }
}
