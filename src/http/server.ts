import Fastify, { LogController, type FastifyInstance, type FastifyRequest, type FastifyTypeProvider } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import type { Static, TSchema } from 'typebox';
import type { Logger } from 'pino';
import { registerErrorHandling } from './errors.ts';
import { registerJsonBodies } from './json-body.ts';

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
  trustProxy: boolean;
}

const CSP = "frame-ancestors 'none'; report-uri /hub/security/csp-report";

export async function createServer(opts: ServerOptions): Promise<HubServer> {
  const app = Fastify({
    loggerInstance: opts.log,
    // We log one line per request ourselves (onResponse), without headers that may carry secrets.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: opts.bodyLimit,
    trustProxy: opts.trustProxy,
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: false, maxParamLength: 1024 },
    requestIdHeader: 'x-request-id',
  }).withTypeProvider<HubTypeProvider>();
  app.setValidatorCompiler(TypeBoxValidatorCompiler);

  const apiPrefix = `${opts.baseUrl}hub/api/`;
  app.addHook('onRequest', async (req, reply) => {
    reply.header('X-JupyterHub-Version', opts.apiVersion);
    const isApi = req.url.startsWith(apiPrefix) || req.url === apiPrefix.slice(0, -1);
    reply.header('Content-Security-Policy', isApi ? `${CSP}; default-src 'none'` : CSP);
    reply.header('X-Content-Type-Options', 'nosniff');
  });
  app.addHook('onResponse', async (req: FastifyRequest, reply) => {
    // One line per request, never with the Authorization header or a query string's secrets.
    req.log.info({ method: req.method, path: req.routeOptions.url ?? req.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
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
          token: { type: 'apiKey', in: 'header', name: 'Authorization', description: '`token <token>` or `Bearer <token>`' },
        },
      },
      security: [{ token: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: `${apiPrefix}docs` });
  app.get(`${apiPrefix}openapi.json`, { schema: { hide: true } }, async () => app.swagger());
  return app;
}
