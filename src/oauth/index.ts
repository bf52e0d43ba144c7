import { Type } from 'typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { HubContext } from '../context.ts';
import { authorizeGet, authorizePost } from './authorize.ts';
import { registerDeviceAuthorization } from './device-routes.ts';
import { registerFormEndpoint } from './form-endpoint.ts';
import { registerIntrospection } from './introspect.ts';
import { registerRevocation } from './revoke.ts';
import { tokenEndpoint } from './token.ts';

const tags = ['oauth2'];
const str = (description: string) => Type.Optional(Type.String({ description }));

const AuthorizeQuery = Type.Object(
  {
    client_id: str('The client id: jupyterhub-user-<name>[-<server>] for servers, service-<name> for services'),
    redirect_uri: str('Must equal the redirect URI registered for the client'),
    response_type: str('Must be `code`'),
    state: str('Returned unchanged with the code'),
    scope: str('Space-separated scopes; default: the scopes the client is allowed'),
    code_challenge: str('PKCE challenge (RFC 7636)'),
    code_challenge_method: str('S256 or plain (default plain when a challenge is given)'),
  },
  { additionalProperties: true },
);

const Html = (description: string) => Type.String({ description: `${description} (text/html)` });
const Redirect = (description: string) => Type.Null({ description });

const OAuthErrorBody = Type.Object(
  {
    error: Type.String({
      description: 'RFC 6749 error code: invalid_request, invalid_client, invalid_grant, unsupported_grant_type',
    }),
    error_description: Type.String(),
  },
  { description: 'RFC 6749 error' },
);

const TokenBody = Type.Object(
  {
    grant_type: str('authorization_code, or urn:ietf:params:oauth:grant-type:device_code (RFC 8628)'),
    code: str('The code from the authorization redirect'),
    redirect_uri: str('The same redirect_uri as in the authorization request'),
    client_id: str('The client id (or use HTTP Basic authentication)'),
    client_secret: str("The client secret: a server's API token, or a service's"),
    code_verifier: str('PKCE verifier, when the authorization request had a code_challenge'),
    device_code: str('The device code from the device authorization endpoint (device code grant)'),
  },
  { additionalProperties: true },
);

/**
 * The OAuth2 provider under /hub/api/oauth2 (authorization code, optional PKCE, no refresh tokens).
 * These routes authenticate on their own (the login cookie for /authorize, client credentials for
 * /token), so the API's cookie authentication stays out of their way.
 */
export function registerOAuth(app: FastifyInstance<any, any, any, any, any>, ctx: HubContext): void {
  const prefix = `${ctx.baseUrl}hub/api/oauth2`;
  // Under the API's path, so limited as the API is; declared in the pages' plugin, so said here.
  const config = { cookieAuth: false, rateLimit: 'default' } as const;
  const authorizeResponses = {
    200: Html('Consent page: the user is asked to confirm the scopes'),
    302: Redirect('To redirect_uri with code and state (or error and state), or to the login page'),
    400: Html('Unknown client or mismatching redirect_uri (never redirected)'),
    403: Html("The user may not access the client's server or service, or the XSRF check failed"),
  };
  app.get(
    `${prefix}/authorize`,
    {
      config,
      attachValidation: true,
      schema: {
        tags,
        summary: 'OAuth2 authorization endpoint (browser, login cookie)',
        querystring: AuthorizeQuery,
        security: [],
        response: authorizeResponses,
      },
    },
    (req: FastifyRequest, reply: FastifyReply) => authorizeGet(ctx, req, reply),
  );
  app.post(
    `${prefix}/authorize`,
    {
      config,
      attachValidation: true,
      schema: {
        tags,
        summary: 'OAuth2 consent form submission (scopes, action=authorize|deny, _xsrf)',
        querystring: AuthorizeQuery,
        consumes: ['application/x-www-form-urlencoded'],
        security: [],
        response: authorizeResponses,
      },
    },
    (req: FastifyRequest, reply: FastifyReply) => authorizePost(ctx, req, reply),
  );
  const form = { prefix, config, errorBody: OAuthErrorBody };
  registerFormEndpoint(
    app,
    form,
    {
      path: '/token',
      summary: 'OAuth2 token endpoint: exchange an authorization code for an access token',
      body: TokenBody,
      answer: Type.Object({
        access_token: Type.String(),
        token_type: Type.Literal('Bearer'),
        expires_in: Type.Optional(Type.Integer({ description: 'Absent when the token never expires' })),
        scope: Type.String({ description: 'Space-separated scopes' }),
      }),
    },
    (req, reply) => tokenEndpoint(ctx, req, reply),
  );
  registerDeviceAuthorization(app, ctx, form);
  registerIntrospection(app, ctx, form);
  registerRevocation(app, ctx, form);
}
