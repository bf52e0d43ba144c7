import type { FastifyInstance } from 'fastify';
import { principalForUser } from '../auth/session.ts';
import type { HubContext } from '../context.ts';
import { isoNow } from '../lib/time.ts';
import { describeScope } from '../rbac/index.ts';
import { countActiveApiTokens } from '../repo/tokens.ts';
import { loginRedirect, pageContext, pageSession } from './common.ts';
import { renderPage } from './html.ts';

const DAY = 86400;
const EXPIRY_DAYS = [7, 30, 90, 180, 365];
/** Preselected unless tokens.default_expires_in names another choice: short-lived tokens by default. */
const DEFAULT_DAYS = 30;

/**
 * Scopes offered as checkboxes: the ones people commonly hand to scripts. Each is offered only if the
 * user holds it, unfiltered (admins) or for themselves (`!user`, which the API narrows to this user).
 */
const COMMON_SCOPES = [
  'read:users',
  'users:activity',
  'read:servers',
  'servers',
  'access:servers',
  'read:tokens',
  'tokens',
  'admin-ui',
  'admin:users',
  'admin:servers',
  'read:hub',
];

export interface ExpiryChoice {
  /** Seconds, or null for never. */
  seconds: number | null;
  label: string;
}

function duration(seconds: number): string {
  if (seconds % DAY === 0) return `${seconds / DAY} day${seconds === DAY ? '' : 's'}`;
  if (seconds % 3600 === 0) return `${seconds / 3600} hour${seconds === 3600 ? '' : 's'}`;
  return `${Math.round(seconds / 60)} minutes`;
}

/** The expiry select: choices above the admin's maximum dropped, and "never" replaced by the maximum. */
export function expiryChoices(
  max: number | null,
  configuredDefault: number | null,
): { choices: ExpiryChoice[]; selected: number | null } {
  const choices: ExpiryChoice[] = EXPIRY_DAYS.filter((d) => max === null || d * DAY <= max).map((d) => ({
    seconds: d * DAY,
    label: duration(d * DAY),
  }));
  if (max === null) choices.push({ seconds: null, label: 'Never' });
  else if (!choices.some((c) => c.seconds === max)) choices.push({ seconds: max, label: `Maximum (${duration(max)})` });
  const wanted = configuredDefault ?? DEFAULT_DAYS * DAY;
  const selected =
    choices.find((c) => c.seconds === wanted) ?? choices.find((c) => c.seconds === DEFAULT_DAYS * DAY) ?? choices[0]!;
  return { choices, selected: selected.seconds };
}

export function registerTokenPage(app: FastifyInstance<any, any, any, any, any>, ctx: HubContext): void {
  const base = ctx.baseUrl;
  const hide = { schema: { hide: true } };

  app.get(`${base}hub/token`, hide, async (req, reply) => {
    const s = await pageSession(ctx, req);
    if (!s) return loginRedirect(ctx, req, reply);
    const p = await principalForUser(ctx, s.user, s.sessionId);
    const scopes = [];
    for (const scope of COMMON_SCOPES) {
      const value = p.scopes.has(scope) ? scope : p.scopes.has(`${scope}!user=${s.user.name}`) ? `${scope}!user` : null;
      if (value) scopes.push({ value, description: describeScope(scope, ctx.config.custom_scopes) ?? scope });
    }
    const t = ctx.config.tokens;
    const { choices, selected } = expiryChoices(t.expires_in_max_seconds, t.default_expires_in);
    const pc = await pageContext(ctx, req, reply, s, 'token', { token_limit: t.max_active_per_user });
    return renderPage(reply, 200, 'token.html', pc, {
      expiry_choices: choices.map((c) => ({
        value: c.seconds === null ? 'never' : String(c.seconds),
        label: c.label,
        selected: c.seconds === selected,
      })),
      scope_choices: scopes,
      token_limit: t.max_active_per_user,
      active_count: await countActiveApiTokens(ctx.k, s.user.id, isoNow()),
    });
  });

  // How many tokens count against the limit. The token list cannot tell: it also holds the hub's own
  // server tokens, which do not count. The page's script asks again after each create or revoke.
  app.get(`${base}hub/token/usage`, hide, async (req, reply) => {
    const s = await pageSession(ctx, req);
    if (!s) return reply.code(403).header('Cache-Control', 'no-store').send({ status: 403, message: 'Not signed in' });
    const active = await countActiveApiTokens(ctx.k, s.user.id, isoNow());
    return reply.header('Cache-Control', 'no-store').send({ active, max: ctx.config.tokens.max_active_per_user });
  });
}
