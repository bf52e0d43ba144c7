import type { FastifyInstance } from 'fastify';
import { principalForUser } from '../auth/session.ts';
import type { HubContext } from '../context.ts';
import { isoNow } from '../lib/time.ts';
import { describeScope } from '../rbac/index.ts';
import { successorLifetime } from '../commands/tokens/expiry.ts';
import type { TokenRow } from '../db/index.ts';
import { parseJson } from '../lib/json.ts';
import { countActiveApiTokens, findTokenById, listTokens } from '../repo/tokens.ts';
import { parseTokenId } from '../tokens/present.ts';
import { loginRedirect, pageContext, pageSession } from './common.ts';
import { renderPage } from './html.ts';

const DAY = 86400;
/** Rotate's choices of how long the old token keeps working (bounded by tokens.rotation_max_grace_seconds). */
const GRACE_CHOICES = [
  { seconds: 0, label: 'At once' },
  { seconds: 3600, label: 'After 1 hour' },
  { seconds: DAY, label: 'After 1 day' },
  { seconds: 7 * DAY, label: 'After 7 days' },
];
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

/** Tokens expiring within this many days get the page's banner. */
const BANNER_DAYS = 7;

/** What the create form starts with: the defaults, or a token's note, scopes and lifetime (`?renew=a<id>`). */
interface FormStart {
  note: string;
  /** Seconds, or null for never; undefined: the configured default. */
  lifetime: number | null | undefined;
  /** null: all of the user's permissions (inherit). */
  scopes: string[] | null;
}

/** The user's own token named by `?renew=`, in any state (a renewed token has often expired), or null. */
async function renewedToken(ctx: HubContext, userId: number, renew: unknown): Promise<TokenRow | null> {
  const id = typeof renew === 'string' ? parseTokenId(renew) : null;
  const row = id === null ? undefined : await findTokenById(ctx.k, id);
  return row && row.user_id === userId && row.kind === 'api' ? row : null;
}

function formStart(ctx: HubContext, row: TokenRow | null): FormStart {
  if (!row) return { note: 'Requested via token page', lifetime: undefined, scopes: null };
  const scopes = parseJson<string[]>(row.scopes, ['inherit']);
  return {
    note: row.note,
    lifetime: successorLifetime(ctx.config.tokens, row),
    scopes: scopes.includes('inherit') ? null : scopes,
  };
}

/** The user's personal tokens that still work but end within BANNER_DAYS: the page warns of them. */
async function expiringSoon(ctx: HubContext, userId: number): Promise<{ note: string; expires_at: string }[]> {
  const now = Date.now();
  const rows = await listTokens(
    ctx.k,
    { kind: 'user', id: userId },
    { nowIso: new Date(now).toISOString(), includeInactive: false },
  );
  return rows
    .filter((r) => r.kind === 'api' && r.replaced_by === null && r.expires_at !== null)
    .filter((r) => Date.parse(r.expires_at!) - now <= BANNER_DAYS * DAY * 1000)
    .map((r) => ({ note: r.note || r.prefix, expires_at: new Date(r.expires_at!).toISOString() }));
}

export function registerTokenPage(app: FastifyInstance<any, any, any, any, any>, ctx: HubContext): void {
  const base = ctx.baseUrl;
  const hide = { schema: { hide: true } };

  app.get(`${base}hub/token`, hide, async (req, reply) => {
    const s = await pageSession(ctx, req);
    if (!s) return loginRedirect(ctx, req, reply);
    const p = await principalForUser(ctx, s.user, s.sessionId);
    const start = formStart(ctx, await renewedToken(ctx, s.user.id, (req.query as Record<string, unknown>).renew));
    const scopes = [];
    for (const scope of COMMON_SCOPES) {
      const value = p.scopes.has(scope) ? scope : p.scopes.has(`${scope}!user=${s.user.name}`) ? `${scope}!user` : null;
      if (value) scopes.push({ value, description: describeScope(scope, ctx.config.custom_scopes) ?? scope });
    }
    // A renewed token's scopes outside the common ones are offered too, so the renewal keeps them all.
    for (const value of start.scopes ?? [])
      if (!scopes.some((c) => c.value === value))
        scopes.push({ value, description: describeScope(value.split('!')[0]!, ctx.config.custom_scopes) ?? value });
    const t = ctx.config.tokens;
    const { choices, selected } = expiryChoices(t.expires_in_max_seconds, t.default_expires_in);
    if (start.lifetime !== undefined && !choices.some((c) => c.seconds === start.lifetime))
      choices.unshift({
        seconds: start.lifetime,
        label: start.lifetime === null ? 'Never' : `As before (${duration(start.lifetime)})`,
      });
    const graceMax = t.rotation_max_grace_seconds;
    const pc = await pageContext(ctx, req, reply, s, 'token', { token_limit: t.max_active_per_user });
    return renderPage(reply, 200, 'token.html', pc, {
      expiry_choices: choices.map((c) => ({
        value: c.seconds === null ? 'never' : String(c.seconds),
        label: c.label,
        selected: start.lifetime !== undefined ? c.seconds === start.lifetime : c.seconds === selected,
      })),
      scope_choices: scopes.map((c) => ({ ...c, checked: start.scopes?.includes(c.value) ?? false })),
      scope_mode_some: start.scopes !== null,
      note: start.note,
      expiring: await expiringSoon(ctx, s.user.id),
      grace_choices: GRACE_CHOICES.filter((g) => g.seconds <= graceMax),
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
