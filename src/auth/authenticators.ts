import { timingSafeEqual, createHash } from 'node:crypto';
import type { HubContext } from '../context.ts';
import { normalizeUsername, validateUsername } from './usernames.ts';

function sameSecret(a: string, b: string): boolean {
  // Hash first so the comparison takes the same time whatever the lengths.
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** Whether a (normalized) name may log in at all: blocked_users, then allow_all / allowed_users / admin_users. */
export function isAllowed(ctx: HubContext, name: string): boolean {
  const a = ctx.config.authenticator;
  if (a.blocked_users.includes(name)) return false;
  return a.allow_all || a.allowed_users.includes(name) || a.admin_users.includes(name);
}

/**
 * Checks `{username, password}` against the configured authenticator and returns the normalized
 * name, or null. `dummy` accepts any password unless a shared one is configured.
 */
export async function authenticatePassword(ctx: HubContext, data: Record<string, unknown>): Promise<string | null> {
  const { username, password } = data;
  if (typeof username !== 'string' || typeof password !== 'string') return null;
  const name = normalizeUsername(username);
  const pattern = ctx.config.authenticator.username_pattern;
  if (!validateUsername(name, pattern ? new RegExp(`^(?:${pattern})$`) : null)) return null;
  const shared = ctx.config.authenticator.password;
  if (shared !== null && !sameSecret(password, shared)) return null;
  return isAllowed(ctx, name) ? name : null;
}
