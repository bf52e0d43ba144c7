import type { TSchema } from 'typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** What the provider's form endpoints share: their prefix, route config and OAuth error body. */
export interface FormEndpoints {
  prefix: string;
  config: Record<string, unknown>;
  errorBody: TSchema;
}

export interface FormEndpoint {
  /** After the prefix: `/token`, `/revoke`, ... */
  path: string;
  summary: string;
  description?: string;
  body: TSchema;
  /** The 200 answer. */
  answer: TSchema;
  /** Route config on top of the shared one (a stricter rate-limit bucket). */
  config?: Record<string, unknown>;
}

/**
 * A POST endpoint in the shape of RFC 6749's token endpoint, as device authorization (RFC 8628),
 * introspection (RFC 7662) and revocation (RFC 7009) are too: a form-encoded body, the client's own
 * authentication in it or in HTTP Basic (no API security scheme applies), errors as OAuth error bodies
 * (400, 401). A body that fails its schema still reaches the handler, which answers in OAuth's terms.
 */
export function registerFormEndpoint(
  app: FastifyInstance<any, any, any, any, any>,
  shared: FormEndpoints,
  route: FormEndpoint,
  handler: (req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>,
): void {
  app.post(
    `${shared.prefix}${route.path}`,
    {
      config: { ...shared.config, ...route.config },
      attachValidation: true,
      schema: {
        tags: ['oauth2'],
        summary: route.summary,
        ...(route.description === undefined ? {} : { description: route.description }),
        consumes: ['application/x-www-form-urlencoded'],
        body: route.body,
        security: [],
        response: { 200: route.answer, 400: shared.errorBody, 401: shared.errorBody },
      },
    },
    handler,
  );
}
