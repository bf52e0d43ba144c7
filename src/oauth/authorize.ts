import type { FastifyReply, FastifyRequest } from 'fastify';
import { newSessionId, principalForUser, setCookie, SESSION_COOKIE } from '../auth/session.ts';
import { serializeCookie } from '../auth/cookies.ts';
import { sessionXsrfValid } from '../auth/xsrf.ts';
import type { HubContext } from '../context.ts';
import { isoNow } from '../lib/time.ts';
import { checkAccess, describeScope, type OAuthClientTarget } from '../rbac/index.ts';
import { allGroupNamesByUser } from '../repo/groups.ts';
import { loginRedirect, pageSession, type PageSession } from '../web/common.ts';
import { field, fieldList } from '../web/forms.ts';
import { errorPage, html, page, sendPage } from '../web/html.ts';
import { clientTarget, findClient, skipsConfirmation, type OAuthClient } from './clients.ts';
import { createCode, PKCE_VALUE } from './codes.ts';
import { alreadyGranted, decideScopes, type ScopeDecision } from './scopes.ts';

interface Request {
  s: PageSession;
  /** Everything the user holds: the ceiling for what the client gets. */
  ownerScopes: Set<string>;
  client: OAuthClient;
  target: OAuthClientTarget;
  redirectUri: string;
  state: string | null;
  requested: string[] | null;
  challenge: string | null;
  method: 'S256' | 'plain' | null;
}

/** RFC 6749 4.1.2.1: errors go back to the client's (verified) redirect URI, with the state. */
function errorRedirect(
  reply: FastifyReply,
  redirectUri: string,
  state: string | null,
  error: string,
  description: string,
): FastifyReply {
  const params = new URLSearchParams({ error, error_description: description });
  if (state !== null) params.set('state', state);
  return reply
    .header('Cache-Control', 'no-store')
    .redirect(`${redirectUri}${redirectUri.includes('?') ? '&' : '?'}${params}`, 302);
}

function one(query: Record<string, unknown>, name: string): string | null | undefined {
  const v = query[name];
  if (v === undefined) return null;
  return typeof v === 'string' ? v : undefined; // undefined: given more than once
}

/**
 * Validates an authorization request in RFC 6749's order. Errors about the client or its redirect URI
 * are shown to the user (redirecting there would make the hub an open redirector); later errors go
 * back to the client. Replies and returns null when the request cannot go on.
 */
async function validate(ctx: HubContext, req: FastifyRequest, reply: FastifyReply): Promise<Request | null> {
  const base = ctx.baseUrl;
  const s = await pageSession(ctx, req);
  if (!s) {
    loginRedirect(ctx, req, reply);
    return null;
  }
  const q = req.query as Record<string, unknown>;
  const bad = (message: string) => {
    errorPage(reply, base, 400, 'Bad Request', message, s.user.name);
    return null;
  };
  if (req.validationError) return bad('The authorization request is malformed.');
  const clientId = one(q, 'client_id');
  if (!clientId) return bad('The authorization request names no valid client_id.');
  const client = await findClient(ctx.k, clientId);
  if (!client) return bad(`Unknown OAuth client: ${clientId}`);
  const given = one(q, 'redirect_uri');
  if (given === undefined || (given !== null && given !== client.redirectUri)) {
    return bad(`The redirect_uri does not match the one registered for ${client.description}.`);
  }
  const redirectUri = client.redirectUri;
  const rawState = one(q, 'state');
  const state = rawState === undefined ? null : rawState;
  const fail = (error: string, description: string) => {
    errorRedirect(reply, redirectUri, state, error, description);
    return null;
  };
  for (const name of ['state', 'response_type', 'scope', 'code_challenge', 'code_challenge_method']) {
    if (one(q, name) === undefined) return fail('invalid_request', `${name} was given more than once`);
  }
  const responseType = one(q, 'response_type');
  if (!responseType) return fail('invalid_request', 'response_type is required');
  if (responseType !== 'code')
    return fail('unsupported_response_type', 'Only the authorization code flow (response_type=code) is supported');
  const challenge = one(q, 'code_challenge') || null;
  const methodGiven = one(q, 'code_challenge_method') || null;
  if (methodGiven && !challenge) return fail('invalid_request', 'code_challenge_method without code_challenge');
  if (methodGiven && methodGiven !== 'S256' && methodGiven !== 'plain') {
    return fail('invalid_request', 'code_challenge_method must be S256 or plain');
  }
  if (challenge && !PKCE_VALUE.test(challenge)) return fail('invalid_request', 'code_challenge is malformed');
  const scope = one(q, 'scope');
  const requested = scope ? scope.split(' ').filter(Boolean) : null;

  const target = await clientTarget(ctx.k, client.identifier);
  if (!target) {
    ctx.log.error({ client: client.identifier }, 'OAuth client belongs to no server or service');
    errorPage(
      reply,
      base,
      500,
      'OAuth configuration error',
      `${client.description} is not linked to any server or service.`,
      s.user.name,
    );
    return null;
  }
  const p = await principalForUser(ctx, s.user, s.sessionId);
  const access =
    target.kind === 'server'
      ? checkAccess(p.scopes, ['access:servers'], {
          kind: 'server',
          user: target.user,
          server: target.server,
          groups: await allGroupNamesByUser(ctx.k, target.user),
        })
      : checkAccess(p.scopes, ['access:services'], { kind: 'service', name: target.name });
  if (access !== 'ok') {
    req.log.warn({ user: s.user.name, client: client.identifier }, 'OAuth authorization refused: no access');
    errorPage(
      reply,
      base,
      403,
      'Forbidden',
      `You do not have permission to access ${client.description}.`,
      s.user.name,
    );
    return null;
  }
  return {
    s,
    ownerScopes: p.ownerScopes,
    client,
    target,
    redirectUri,
    state,
    requested,
    challenge,
    method: challenge ? ((methodGiven as 'S256' | 'plain' | null) ?? 'plain') : null,
  };
}

async function grant(ctx: HubContext, reply: FastifyReply, r: Request, scopes: string[]): Promise<FastifyReply> {
  let sessionId = r.s.sessionId;
  if (!sessionId) {
    // Tokens are tied to the browser session so that logging out revokes them: make one if missing.
    const settings = ctx.sessions;
    sessionId = newSessionId();
    setCookie(
      reply,
      serializeCookie(SESSION_COOKIE, sessionId, {
        path: settings.basePath,
        httpOnly: true,
        secure: settings.secure,
        sameSite: 'Lax',
      }),
    );
  }
  const code = await createCode(ctx.k, {
    clientId: r.client.identifier,
    userId: r.s.user.id,
    sessionId,
    redirectUri: r.redirectUri,
    scopes,
    codeChallenge: r.challenge,
    codeChallengeMethod: r.method,
  });
  const params = new URLSearchParams({ code });
  if (r.state !== null) params.set('state', r.state);
  ctx.log.info({ user: r.s.user.name, client: r.client.identifier }, 'OAuth authorization granted');
  return reply
    .header('Cache-Control', 'no-store')
    .redirect(`${r.redirectUri}${r.redirectUri.includes('?') ? '&' : '?'}${params}`, 302);
}

async function needsConfirmation(ctx: HubContext, r: Request, d: ScopeDecision): Promise<boolean> {
  if (r.target.kind === 'server' && r.target.user === r.s.user.name) return false;
  if (skipsConfirmation(ctx.config, r.client.identifier)) return false;
  const before = await alreadyGranted(ctx.k, r.s.user.id, r.client.identifier, isoNow());
  return !(before.size > 0 && d.granted.every((s) => before.has(s)));
}

/** Which resources a filtered scope is limited to, in words ('read:users!user' → 'only your own'). */
function filterText(scope: string, user: string): string {
  const bang = scope.indexOf('!');
  if (bang === -1) return '';
  const [kind, value] = scope.slice(bang + 1).split('=', 2) as [string, string | undefined];
  if (value === undefined || (kind === 'user' && value === user))
    return kind === 'user' ? ' (only your own)' : ` (only this ${kind})`;
  return ` (only ${kind} ${value})`;
}

function consentPage(
  ctx: HubContext,
  req: FastifyRequest,
  reply: FastifyReply,
  r: Request,
  d: ScopeDecision,
): FastifyReply {
  const items = d.asked.map((scope, i) => {
    const description = describeScope(scope, ctx.config.custom_scopes) ?? scope;
    const filter = filterText(scope, r.s.user.name);
    return html`<li><input type="checkbox" name="scopes" value="${scope}" id="scope-${i}" checked>
      <label for="scope-${i}" class="inline">${description}${filter} <code>${scope}</code></label></li>`;
  });
  const body = html`
<h1>Authorize access</h1>
<p><strong>${r.client.description}</strong> would like permission to identify you${d.asked.length ? ' and to act on your behalf' : ''}.</p>
<form method="post" action="${req.url}">
  <input type="hidden" name="_xsrf" value="${r.s.xsrf}">
  ${
    d.asked.length
      ? html`<fieldset><legend>It asks to:</legend><ul class="scopes">${items}</ul></fieldset>
      <p class="muted">Untick what you do not want to allow.</p>`
      : ''
  }
  <p>It will learn your user name (<strong>${r.s.user.name}</strong>) and your groups.</p>
  <button type="submit" name="action" value="authorize" autofocus>Authorize</button>
  <button type="submit" name="action" value="deny" class="secondary">Deny</button>
</form>`;
  return sendPage(reply, 200, page({ title: 'Authorize access', baseUrl: ctx.baseUrl, user: r.s.user.name, body }));
}

export async function authorizeGet(ctx: HubContext, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const r = await validate(ctx, req, reply);
  if (!r) return reply;
  const d = await decideScopes(ctx.k, ctx.config, r.s.user, r.ownerScopes, r.client, r.target, r.requested);
  if (d.dropped.length)
    req.log.warn(
      { client: r.client.identifier, user: r.s.user.name, dropped: d.dropped },
      'OAuth client asked for scopes it may not have',
    );
  if (!(await needsConfirmation(ctx, r, d))) return grant(ctx, reply, r, d.granted);
  return consentPage(ctx, req, reply, r, d);
}

/** The consent form's answer: the ticked scopes (never more than were asked), or a refusal. */
export async function authorizePost(ctx: HubContext, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const r = await validate(ctx, req, reply);
  if (!r) return reply;
  if (!sessionXsrfValid(ctx, r.s.user, r.s.sessionId, field(req.body, '_xsrf'))) {
    return errorPage(
      reply,
      ctx.baseUrl,
      403,
      'Forbidden',
      'The authorization form was not sent from this site (XSRF check failed). Please try again.',
      r.s.user.name,
    );
  }
  if (field(req.body, 'action') === 'deny') {
    req.log.info({ user: r.s.user.name, client: r.client.identifier }, 'OAuth authorization denied by the user');
    return errorRedirect(reply, r.redirectUri, r.state, 'access_denied', 'The user denied the request');
  }
  const offered = await decideScopes(ctx.k, ctx.config, r.s.user, r.ownerScopes, r.client, r.target, r.requested);
  const ticked = new Set(fieldList(req.body, 'scopes'));
  const chosen = offered.asked.filter((s) => ticked.has(s));
  const d = await decideScopes(ctx.k, ctx.config, r.s.user, r.ownerScopes, r.client, r.target, chosen);
  return grant(ctx, reply, r, d.granted);
}
