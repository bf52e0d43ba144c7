import type { FastifyReply, FastifyRequest } from 'fastify';
import type { HubContext } from '../context.ts';
import { safeEqual } from '../lib/secrets.ts';
import { digestToken } from '../tokens/format.ts';
import { findClient, type OAuthClient } from './clients.ts';

// The token endpoint's answers and client authentication, shared by its grants (token.ts, device-token.ts)
// and the device authorization endpoint.

export type OAuthError =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'invalid_scope'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  // RFC 8628 3.5: the device code grant's answers while the user has not (or has) decided.
  | 'authorization_pending'
  | 'slow_down'
  | 'access_denied'
  | 'expired_token';

// RFC 6749 5.2: tokens and errors from the token endpoint must never be cached.
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

function param(body: Record<string, unknown>, name: string): string | null | undefined {
  const v = body[name];
  if (v === undefined || v === '') return null;
  return typeof v === 'string' ? v : undefined; // given more than once, or not text
}

/** The form's fields, each given at most once; replies invalid_request and returns null otherwise. */
export function formValues(
  req: FastifyRequest,
  reply: FastifyReply,
  names: string[],
): Record<string, string | null> | null {
  const body = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
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
 * Authenticates a registered client by its secret (in the form, or HTTP Basic); replies and returns null
 * when it does not. An unknown client costs the same as a wrong secret (digests compared in constant time).
 */
export async function authenticateClient(
  ctx: HubContext,
  req: FastifyRequest,
  reply: FastifyReply,
  values: Record<string, string | null>,
): Promise<OAuthClient | null> {
  const fail = (error: OAuthError, description: string) => {
    oauthError(reply, error, description);
    return null;
  };
  const basic = basicCredentials(req);
  if (basic === 'malformed') return fail('invalid_client', 'Malformed HTTP Basic credentials');
  if (basic && values.client_secret) return fail('invalid_request', 'Use one way of client authentication, not two');
  if (basic && values.client_id && values.client_id !== basic.id)
    return fail('invalid_client', 'client_id does not match the credentials');
  const clientId = basic?.id ?? values.client_id;
  const secret = basic?.secret ?? values.client_secret;
  if (!clientId) return fail('invalid_client', 'Client authentication is required');
  const client = await findClient(ctx.k, clientId);
  const presented = digestToken(secret ?? '');
  const expected = client?.secretHash ?? digestToken(`\0unknown-client\0${clientId}`);
  if (!client?.secretHash || !secret || !safeEqual(presented, expected)) {
    req.log.warn({ client: clientId.slice(0, 128) }, 'OAuth token request with bad client credentials');
    return fail('invalid_client', 'Client authentication failed');
  }
  return client;
}

/** Whether the request carries client credentials (a public client has none to give). */
export function hasClientCredentials(req: FastifyRequest, values: Record<string, string | null>): boolean {
  return basicCredentials(req) !== null || values.client_secret !== null;
}
