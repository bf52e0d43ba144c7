import type { FastifyReply, FastifyRequest } from 'fastify';
import { tokenFromHeader } from '../auth/authenticate.ts';
import type { Principal } from '../auth/principal.ts';
import type { HubContext } from '../context.ts';
import { safeEqual } from '../lib/secrets.ts';
import { digestToken } from '../tokens/format.ts';
import { findClient, type OAuthClient } from './clients.ts';

// The OAuth endpoints' answers and client authentication, shared by the token endpoint's grants (token.ts,
// device-token.ts), device authorization, introspection and revocation.

export type OAuthError =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'invalid_scope'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'unsupported_token_type'
  // RFC 8628 3.5: the device code grant's answers while the user has not (or has) decided.
  | 'authorization_pending'
  | 'slow_down'
  | 'access_denied'
  | 'expired_token';

// RFC 6749 5.2: tokens and errors from the token endpoint must never be cached (nor introspection answers).
export function noStore(reply: FastifyReply): FastifyReply {
  return reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache').type('application/json');
}

export function oauthError(reply: FastifyReply, error: OAuthError, description: string): FastifyReply {
  const status = error === 'invalid_client' ? 401 : 400;
  // A 401 must say how to authenticate (RFC 6749 5.2): HTTP Basic, or the form fields.
  if (status === 401) reply.header('WWW-Authenticate', 'Basic realm="tshub"');
  return noStore(reply).code(status).send({ error, error_description: description });
}

/** `Authorization: Basic base64(urlencode(id):urlencode(secret))` (RFC 6749 2.3.1), if present. */
function basicCredentials(req: FastifyRequest): { id: string; secret: string } | null | 'malformed' {
  const h = req.headers.authorization;
  if (!h || !/^basic\s/i.test(h)) return null;
  const decoded = Buffer.from(h.replace(/^basic\s+/i, '').trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return 'malformed';
  try {
    return {
      id: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')),
      secret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' ')),
    };
  } catch {
    return 'malformed';
  }
}

/** A form field: null when absent or empty, undefined when given more than once or not text. */
export function param(body: Record<string, unknown>, name: string): string | null | undefined {
  const v = body[name];
  if (v === undefined || v === '') return null;
  return typeof v === 'string' ? v : undefined;
}

/** The form body of an OAuth endpoint, as a record (fastify leaves it undefined when empty). */
export function formBody(req: FastifyRequest): Record<string, unknown> {
  return (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
}

/** The form's fields, each given at most once; replies invalid_request and returns null otherwise. */
export function formValues(
  req: FastifyRequest,
  reply: FastifyReply,
  names: string[],
): Record<string, string | null> | null {
  const body = formBody(req);
  const values: Record<string, string | null> = {};
  for (const name of names) {
    const v = param(body, name);
    if (v === undefined) {
      oauthError(reply, 'invalid_request', `${name} must be given once`);
      return null;
    }
    values[name] = v;
  }
  return values;
}

/**
 * The client credentials a request gives: in the form (client_id, client_secret) or HTTP Basic, not both;
 * an error description when they are malformed or contradict each other.
 */
export function clientCredentials(
  req: FastifyRequest,
  form: { client_id: string | null; client_secret: string | null },
): { id: string | null; secret: string | null } | { error: OAuthError; description: string } {
  const basic = basicCredentials(req);
  if (basic === 'malformed') return { error: 'invalid_client', description: 'Malformed HTTP Basic credentials' };
  if (basic && form.client_secret)
    return { error: 'invalid_request', description: 'Use one way of client authentication, not two' };
  if (basic && form.client_id && form.client_id !== basic.id)
    return { error: 'invalid_client', description: 'client_id does not match the credentials' };
  return { id: basic?.id ?? form.client_id, secret: basic?.secret ?? form.client_secret };
}

/** The client whose secret this is, or null; an unknown client costs the same as a wrong secret. */
export async function verifyClient(
  ctx: HubContext,
  req: FastifyRequest,
  clientId: string,
  secret: string | null,
): Promise<OAuthClient | null> {
  const client = await findClient(ctx.k, clientId);
  // Compare digests in constant time.
  const presented = digestToken(secret ?? '');
  const expected = client?.secretHash ?? digestToken(`\0unknown-client\0${clientId}`);
  if (!client?.secretHash || !secret || !safeEqual(presented, expected)) {
    req.log.warn({ client: clientId.slice(0, 128) }, 'OAuth client request with bad client credentials');
    return null;
  }
  return client;
}

/**
 * Authenticates a registered client by its secret (in the form, or HTTP Basic); replies and returns null
 * when it does not.
 */
export async function authenticateClient(
  ctx: HubContext,
  req: FastifyRequest,
  reply: FastifyReply,
  values: Record<string, string | null>,
): Promise<OAuthClient | null> {
  const creds = clientCredentials(req, {
    client_id: values.client_id ?? null,
    client_secret: values.client_secret ?? null,
  });
  if ('error' in creds) {
    oauthError(reply, creds.error, creds.description);
    return null;
  }
  if (!creds.id) {
    oauthError(reply, 'invalid_client', 'Client authentication is required');
    return null;
  }
  const client = await verifyClient(ctx, req, creds.id, creds.secret);
  if (!client) oauthError(reply, 'invalid_client', 'Client authentication failed');
  return client;
}

/** Whether the request carries client credentials (a public client has none to give). */
export function hasClientCredentials(req: FastifyRequest, values: Record<string, string | null>): boolean {
  return basicCredentials(req) !== null || values.client_secret !== null;
}

/** Who calls introspection or revocation: an OAuth client by its secret, or the holder of a hub token. */
export type EndpointCaller =
  | { client: OAuthClient; principal?: undefined }
  | { principal: Principal; client?: undefined };

/**
 * The caller of an RFC 7662 / RFC 7009 endpoint, or null once a 401 (RFC 6749 5.2 invalid_client) is sent:
 * a hub token (`Authorization: Bearer`, authenticated by the API's hook) or client credentials.
 */
export async function endpointCaller(
  ctx: HubContext,
  req: FastifyRequest,
  reply: FastifyReply,
  body: Record<string, unknown>,
): Promise<EndpointCaller | null> {
  if (req.principal?.token) return { principal: req.principal };
  if (tokenFromHeader(req) !== null) {
    oauthError(reply, 'invalid_client', 'The token in the Authorization header is not valid');
    return null;
  }
  const id = param(body, 'client_id');
  const secret = param(body, 'client_secret');
  if (id === undefined || secret === undefined) {
    oauthError(reply, 'invalid_request', 'client_id and client_secret must be given once');
    return null;
  }
  const creds = clientCredentials(req, { client_id: id, client_secret: secret });
  if ('error' in creds) {
    oauthError(reply, creds.error, creds.description);
    return null;
  }
  const client = creds.id ? await verifyClient(ctx, req, creds.id, creds.secret) : null;
  if (!client) {
    oauthError(
      reply,
      'invalid_client',
      creds.id ? 'Client authentication failed' : 'Client authentication is required',
    );
    return null;
  }
  return { client };
}
