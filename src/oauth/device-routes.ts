import { Type } from 'typebox';
import type { FastifyInstance } from 'fastify';
import type { HubContext } from '../context.ts';
import { deviceAuthorizationEndpoint } from './device-authorization.ts';
import { type FormEndpoints, registerFormEndpoint } from './form-endpoint.ts';

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
  form: FormEndpoints,
): void {
  registerFormEndpoint(
    app,
    form,
    {
      path: '/device_authorization',
      summary: 'OAuth2 device authorization (RFC 8628): start a device login (tshub login)',
      body: DeviceAuthorizationBody,
      answer: DeviceAuthorizationAnswer,
      // Each call writes a row, unauthenticated, and leads to a token: the stricter bucket of token creation.
      config: { rateLimit: 'token_create' },
    },
    (req, reply) => deviceAuthorizationEndpoint(ctx, req, reply),
  );
}
