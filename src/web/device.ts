import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sessionXsrfValid } from '../auth/xsrf.ts';
import { userTarget } from '../audit/index.ts';
import { newTokenLifetime } from '../commands/tokens/expiry.ts';
import type { HubContext } from '../context.ts';
import { HubError } from '../errors/index.ts';
import { isPast } from '../lib/time.ts';
import { deviceNote } from '../oauth/device-token.ts';
import {
  CLI_CLIENT_ID,
  type DeviceLogin,
  decideDeviceLogin,
  displayUserCode,
  findByUserCode,
  normaliseUserCode,
} from '../oauth/device-codes.ts';
import { findClient } from '../oauth/clients.ts';
import { describeScope } from '../rbac/index.ts';
import { tokenRulesFor } from '../tokens/policy-new.ts';
import { requestedTokenScopes } from '../tokens/requested-scopes.ts';
import { loginRedirect, type PageSession, pageCaller, pageContext, pageSession } from './common.ts';
import { field } from './forms.ts';
import { errorPage, renderPage } from './html.ts';

const NOT_FOUND = 'That code is unknown, expired or already used. Check the code your device shows, or start again.';

interface Vars {
  user_code?: string;
  error?: string;
  notice?: string;
  login?: Record<string, unknown>;
}

async function show(
  ctx: HubContext,
  req: FastifyRequest,
  reply: FastifyReply,
  s: PageSession,
  status: number,
  vars: Vars,
): Promise<FastifyReply> {
  const pc = await pageContext(ctx, req, reply, s, 'device');
  return renderPage(reply, status, 'device.html', pc, { xsrf: s.xsrf, user_code: '', error: '', notice: '', ...vars });
}

/** A pending, unexpired login, or null: a used or stale code looks the same as one never issued. */
async function pendingLogin(ctx: HubContext, typed: string): Promise<DeviceLogin | null> {
  const login = await findByUserCode(ctx.k, typed);
  return login && login.status === 'pending' && !isPast(login.expiresAt) ? login : null;
}

/** What the user would grant, checked against what they hold (the same rule as a token made by request). */
function grantedScopes(ctx: HubContext, s: PageSession, login: DeviceLogin): Promise<string[]> {
  return ctx.principals
    .ownerScopes('user', s.user.id, s.user.name)
    .then((held) =>
      requestedTokenScopes(ctx.k, ctx.config, { scopes: login.scopes }, { kind: 'user', name: s.user.name }, held),
    );
}

function lifetimeText(seconds: number | null): string {
  if (seconds === null) return 'never expires';
  const days = seconds / 86400;
  return Number.isInteger(days)
    ? `expires after ${days} day${days === 1 ? '' : 's'}`
    : `expires after ${seconds} seconds`;
}

async function details(ctx: HubContext, s: PageSession, login: DeviceLogin): Promise<Record<string, unknown>> {
  const scopes = await grantedScopes(ctx, s, login);
  const client =
    login.clientId === CLI_CLIENT_ID
      ? 'tshub login (command line)'
      : (await findClient(ctx.k, login.clientId))?.description;
  const rules = await tokenRulesFor(ctx.k, ctx.config.tokens, s.user.id);
  return {
    client: client ?? login.clientId,
    ip: login.ip ?? 'unknown',
    user_agent: login.userAgent ?? 'unknown',
    scopes: scopes.map((scope) => ({
      scope,
      description: scope === 'inherit' ? 'Everything you can do, now and later' : (describeScope(scope) ?? ''),
    })),
    lifetime: lifetimeText(newTokenLifetime(rules, undefined)),
    code_expires_at: login.expiresAt,
    note: deviceNote(login),
  };
}

/**
 * `/hub/device`: a signed-in user enters the code their device shows (or follows verification_uri_complete),
 * sees where the request came from and what it would get, and approves or denies it (an XSRF-checked POST).
 * The device's next poll of the token endpoint gets the token (src/oauth/device-token.ts).
 */
export function registerDevicePage(app: FastifyInstance<any, any, any, any, any>, ctx: HubContext): void {
  const path = `${ctx.baseUrl}hub/device`;
  const hide = { schema: { hide: true } };

  app.get(path, hide, async (req, reply) => {
    const s = await pageSession(ctx, req);
    if (!s) return loginRedirect(ctx, req, reply);
    const typed = (req.query as Record<string, unknown>).user_code;
    if (typeof typed !== 'string' || typed === '') return show(ctx, req, reply, s, 200, {});
    const login = await pendingLogin(ctx, typed);
    if (!login) return show(ctx, req, reply, s, 404, { user_code: typed.slice(0, 20), error: NOT_FOUND });
    const code = displayUserCode(normaliseUserCode(typed));
    try {
      return show(ctx, req, reply, s, 200, { user_code: code, login: await details(ctx, s, login) });
    } catch (err) {
      if (!(err instanceof HubError) || err.status >= 500) throw err;
      return show(ctx, req, reply, s, err.status, { user_code: code, error: err.message });
    }
  });

  app.post(path, hide, async (req, reply) => {
    const s = await pageSession(ctx, req);
    if (!s) return errorPage(reply, ctx.baseUrl, 403, 'Forbidden', 'Not signed in.');
    if (!sessionXsrfValid(ctx, s.user, s.sessionId, field(req.body, '_xsrf')))
      return show(ctx, req, reply, s, 403, { error: 'The form was not sent by this page (XSRF check failed).' });
    const typed = field(req.body, 'user_code') ?? '';
    const action = field(req.body, 'action');
    if (action !== 'approve' && action !== 'deny')
      return show(ctx, req, reply, s, 400, { error: 'Choose Approve or Deny.' });
    const login = await pendingLogin(ctx, typed);
    if (!login) return show(ctx, req, reply, s, 404, { error: NOT_FOUND });
    const caller = await pageCaller(ctx, req, s);
    let decided: boolean;
    if (action === 'approve') {
      let scopes: string[];
      try {
        scopes = await grantedScopes(ctx, s, login);
      } catch (err) {
        if (!(err instanceof HubError) || err.status >= 500) throw err;
        return show(ctx, req, reply, s, err.status, { error: err.message });
      }
      decided = await decideDeviceLogin(ctx.k, login.deviceHash, s.user.id, { approved: true, scopes });
    } else decided = await decideDeviceLogin(ctx.k, login.deviceHash, s.user.id, { approved: false });
    if (!decided) return show(ctx, req, reply, s, 409, { error: NOT_FOUND });
    ctx.audit.record({
      ...caller.origin,
      action: action === 'approve' ? 'device.approve' : 'device.deny',
      target: userTarget(s.user.name),
      reason: `${login.clientId}: ${deviceNote(login)}`,
    });
    req.log.info(
      { user: s.user.name, client: login.clientId },
      `device login ${action === 'approve' ? 'approved' : 'denied'}`,
    );
    const notice =
      action === 'approve'
        ? 'Approved. Your device receives its token at its next check; you can close this page.'
        : 'Denied. The device gets no token.';
    return show(ctx, req, reply, s, 200, { notice });
  });
}
