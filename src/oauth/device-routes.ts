import { type TSchema, Type } from 'typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { HubContext } from '../context.ts';
import { deviceAuthorizationEndpoint } from './device-authorization.ts';

const str = (description: string) => Type.Optional(Type.String({ description }));

const DeviceAuthorizationBody = Type.Object(
  {
    client_id: str('tshub-cli (public, no secret), or a registered client with its client_secret or HTTP Basic'),
    client_secret: str("A registered client's secret"),
    scope: str("Space-separated scopes; default: the `token` role's. Checked against the user's at approval"),
  },
  { additionalProperties: true },
);

const DeviceAuthorizationAnswer = Type.Object({
  device_code: Type.String({ description: 'Poll the token endpoint with it; shown once' }),
  user_code: Type.String({ description: 'XXXX-XXXX, for the user to enter at verification_uri' }),
  verification_uri: Type.String({ description: '<hub>/hub/device' }),
  verification_uri_complete: Type.String({ description: 'verification_uri with the user code filled in' }),
  expires_in: Type.Integer({ description: 'Seconds the codes stay valid (oauth_device_code_expires_in)' }),
  interval: Type.Integer({ description: 'Seconds to wait between polls (oauth_device_poll_interval)' }),
});

/** POST <prefix>/device_authorization (RFC 8628 3.1), beside the provider's other endpoints. */
export function registerDeviceAuthorization(
  app: FastifyInstance<any, any, any, any, any>,
  ctx: HubContext,
  opts: { prefix: string; config: Record<string, unknown>; errorBody: TSchema },
): void {
  app.post(
    `${opts.prefix}/device_authorization`,
    {
      // Each call writes a row, unauthenticated, and leads to a token: the stricter bucket of token creation.
      config: { ...opts.config, rateLimit: 'token_create' },
      attachValidation: true,
      schema: {
        tags: ['oauth2'],
        summary: 'OAuth2 device authorization (RFC 8628): start a device login (tshub login)',
        consumes: ['application/x-www-form-urlencoded'],
        body: DeviceAuthorizationBody,
        security: [],
        response: { 200: DeviceAuthorizationAnswer, 400: opts.errorBody, 401: opts.errorBody },
      },
    },
    (req: FastifyRequest, reply: FastifyReply) => deviceAuthorizationEndpoint(ctx, req, reply),
  );
}
