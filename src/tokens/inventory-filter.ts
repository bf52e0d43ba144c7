import { badInventoryFilter, invalidRequest } from '../errors/index.ts';
import { parseTimestamp } from '../lib/time.ts';
import { METASCOPES, SCOPE_TABLE } from '../rbac/scope-table.ts';

export const TOKEN_KINDS = ['api', 'server', 'oauth', 'config'] as const;
/** `blocked`: usable by its own state, refused by the token policy (tokens.*). */
export const TOKEN_STATES = ['active', 'expired', 'revoked', 'rotated', 'blocked'] as const;
export type TokenState = (typeof TOKEN_STATES)[number];

const TIME_KEYS = [
  'created_before',
  'created_after',
  'last_used_before',
  'last_used_after',
  'expires_before',
  'expires_after',
] as const;
type TimeKey = (typeof TIME_KEYS)[number];

/** What the hub-wide token inventory and the bulk revoke select by; every key narrows (they are ANDed). */
export type InventoryFilter = Partial<Record<TimeKey, string>> & {
  user?: string;
  service?: string;
  /** `user/name` (`user/` for the default server): the server's own token and those its OAuth client issued. */
  server?: { user: string; name: string };
  kind?: (typeof TOKEN_KINDS)[number][];
  /** Tokens that name this scope, or one that expands to it (`read:users` also finds `admin:users`). */
  scope?: string;
  /** Case-insensitive substring of the note. */
  note?: string;
  never_expires?: boolean;
  /** Not used for more than N days (never used: counted from creation). */
  idle_days?: number;
  state?: TokenState[];
  /** Naming an `admin:*` scope (or one that expands to one), or `inherit` on an admin's token. */
  admin_scopes?: boolean;
};

export const FILTER_KEYS = [
  'user',
  'service',
  'server',
  'kind',
  'scope',
  'note',
  'never_expires',
  'idle_days',
  'state',
  'admin_scopes',
  ...TIME_KEYS,
] as const;

function text(key: string, v: unknown, max = 1000): string {
  if (typeof v !== 'string' || v === '' || v.length > max) throw badInventoryFilter(key, `a non-empty string`);
  return v;
}

function flag(key: string, v: unknown): boolean {
  if (v === true || v === 'true' || v === '1') return true;
  if (v === false || v === 'false' || v === '0') return false;
  throw badInventoryFilter(key, 'true or false');
}

function count(key: string, v: unknown): number {
  const n = typeof v === 'string' && /^\d{1,6}$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 999_999)
    throw badInventoryFilter(key, 'a whole number of days from 0 to 999999');
  return n;
}

function time(key: string, v: unknown): string {
  const d = typeof v === 'string' && v.length <= 40 ? parseTimestamp(v) : null;
  if (!d) throw badInventoryFilter(key, 'an ISO 8601 timestamp such as 2026-01-31T00:00:00Z');
  return d.toISOString();
}

function list<T extends string>(key: string, v: unknown, allowed: readonly T[]): T[] {
  const items = Array.isArray(v) ? v : typeof v === 'string' ? v.split(',') : null;
  if (!items?.length || !items.every((x): x is T => typeof x === 'string' && allowed.includes(x as T)))
    throw badInventoryFilter(key, `one or more (comma-separated) of ${allowed.join(', ')}`);
  return [...new Set(items)];
}

function scopeName(v: unknown): string {
  const s = text('scope', v, 200);
  if (!Object.hasOwn(SCOPE_TABLE, s) && !Object.hasOwn(METASCOPES, s) && !/^custom:[a-z0-9_\-*:]+$/.test(s))
    throw badInventoryFilter('scope', 'a scope name without a filter, such as admin:users or inherit');
  return s;
}

function server(v: unknown): { user: string; name: string } {
  const s = text('server', v, 300);
  const slash = s.indexOf('/');
  if (slash <= 0) throw badInventoryFilter('server', "'user/server' ('user/' for the default server)");
  return { user: s.slice(0, slash), name: s.slice(slash + 1) };
}

/**
 * A filter from the query string (all strings) or a JSON body (typed values); unknown keys are refused,
 * so a misspelt key never widens a bulk revoke to more tokens than meant.
 */
export function parseInventoryFilter(input: Record<string, unknown>): InventoryFilter {
  const f: InventoryFilter = {};
  for (const [key, v] of Object.entries(input)) {
    if (v === undefined) continue;
    if ((TIME_KEYS as readonly string[]).includes(key)) {
      f[key as TimeKey] = time(key, v);
      continue;
    }
    switch (key) {
      case 'user':
      case 'service':
      case 'note':
        f[key] = text(key, v);
        break;
      case 'server':
        f.server = server(v);
        break;
      case 'kind':
        f.kind = list(key, v, TOKEN_KINDS);
        break;
      case 'state':
        f.state = list(key, v, TOKEN_STATES);
        break;
      case 'scope':
        f.scope = scopeName(v);
        break;
      case 'never_expires':
      case 'admin_scopes':
        f[key] = flag(key, v);
        break;
      case 'idle_days':
        f.idle_days = count(key, v);
        break;
      default:
        throw invalidRequest(`Unknown token filter '${key}'; known filters: ${FILTER_KEYS.join(', ')}`);
    }
  }
  return f;
}

/** `scope` and every scope whose expansion includes it (its ancestors in the scope table). */
export function scopesGranting(scope: string): string[] {
  const out = new Set([scope]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [name, def] of Object.entries(SCOPE_TABLE))
      if (!out.has(name) && def.subscopes.some((s) => out.has(s))) {
        out.add(name);
        grew = true;
      }
  }
  return [...out];
}
