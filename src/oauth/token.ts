import type { FastifyReply, FastifyRequest } from 'fastify';
import { safeEqual } from '../lib/secrets.ts';
import type { HubContext } from '../context.ts';
import { isPast } from '../lib/time.ts';
import { findUserById } from '../repo/users.ts';
import { digestToken } from '../tokens/format.ts';
import { issueToken } from '../tokens/issue.ts';
import { findClient } from './clients.ts';
import { consumeCode, pkceMatches } from './codes.ts';

type OAuthError =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type';

// RFC 6749 5.2: tokens and errors from the token endpoint must never be cached.
function noStore(reply: FastifyReply): FastifyReply {
  return reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache').type('application/json');
}

function oauthError(reply: FastifyReply, error: OAuthError, description: string): FastifyReply {
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

/**
 * POST /hub/api/oauth2/token: the authorization-code grant (RFC 6749 4.1.3) with PKCE (RFC 7636).
 * The client authenticates with its secret (in the form, as jupyterhub-singleuser does, or HTTP Basic);
 * the code is claimed (deleted) before anything else about it is believed, so it works at most once.
 */
export async function tokenEndpoint(ctx: HubContext, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const body = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
  const values: Record<string, string | null> = {};
  for (const name of ['grant_type', 'code', 'redirect_uri', 'client_id', 'client_secret', 'code_verifier']) {
    const v = param(body, name);
    if (v === undefined) return oauthError(reply, 'invalid_request', `${name} must be given once`);
    values[name] = v;
  }
  const basic = basicCredentials(req);
  if (basic === 'malformed') return oauthError(reply, 'invalid_client', 'Malformed HTTP Basic credentials');
  if (basic && values.client_secret)
    return oauthError(reply, 'invalid_request', 'Use one way of client authentication, not two');
  if (basic && values.client_id && values.client_id !== basic.id)
    return oauthError(reply, 'invalid_client', 'client_id does not match the credentials');
  const clientId = basic?.id ?? values.client_id;
  const secret = basic?.secret ?? values.client_secret;

  if (!values.grant_type) return oauthError(reply, 'invalid_request', 'grant_type is required');
  if (!clientId) return oauthError(reply, 'invalid_client', 'Client authentication is required');
  const client = await findClient(ctx.k, clientId);
  // Compare digests in constant time; an unknown client costs the same as a wrong secret.
  const presented = digestToken(secret ?? '');
  const expected = client?.secretHash ?? digestToken(`\0unknown-client\0${clientId}`);
  if (!client?.secretHash || !secret || !safeEqual(presented, expected)) {
    req.log.warn({ client: clientId.slice(0, 128) }, 'OAuth token request with bad client credentials');
    return oauthError(reply, 'invalid_client', 'Client authentication failed');
  }
  if (values.grant_type !== 'authorization_code') {
    return oauthError(reply, 'unsupported_grant_type', 'Only the authorization_code grant is supported');
  }
  if (!values.code) return oauthError(reply, 'invalid_request', 'code is required');

  const code = await consumeCode(ctx.k, values.code);
  if (!code) return oauthError(reply, 'invalid_grant', 'The code is invalid, expired, or already used');
  if (code.clientId !== client.identifier)
    return oauthError(reply, 'invalid_grant', 'The code was issued to another client');
  if (isPast(code.expiresAt))
    return oauthError(reply, 'invalid_grant', 'The code is invalid, expired, or already used');
  // The redirect_uri must be repeated exactly (RFC 6749 4.1.3); it was verified at /authorize.
  if (values.redirect_uri !== code.redirectUri)
    return oauthError(reply, 'invalid_grant', 'redirect_uri does not match the authorization request');
  if (code.codeChallenge) {
    if (!values.code_verifier) return oauthError(reply, 'invalid_grant', 'code_verifier is required (PKCE)');
    if (!pkceMatches(code.codeChallengeMethod ?? 'plain', code.codeChallenge, values.code_verifier)) {
      return oauthError(reply, 'invalid_grant', 'code_verifier does not match the code_challenge');
    }
  } else if (values.code_verifier) {
    // A verifier for a code issued without a challenge means the request was not the one we saw.
    return oauthError(
      reply,
      'invalid_grant',
      'code_verifier given, but the authorization request had no code_challenge',
    );
  }
  const user = await findUserById(ctx.k, code.userId);
  if (!user) return oauthError(reply, 'invalid_grant', 'The user no longer exists');

  const expiresIn = ctx.config.oauth_token_expires_in;
  const { token } = await issueToken(
    ctx.k,
    ctx.db.kind,
    {
      owner: { kind: 'user', id: user.id },
      kind: 'oauth',
      clientId: client.identifier,
      sessionId: code.sessionId,
      note: `OAuth token for ${client.description}`,
      scopes: code.scopes,
      expiresIn,
    },
    { batch: ctx.tokenInserts },
  );
  req.log.info({ user: user.name, client: client.identifier }, 'OAuth token issued');
  return noStore(reply)
    .code(200)
    .send({ access_token: token, token_type: 'Bearer', expires_in: expiresIn, scope: code.scopes.join(' ') });
}
