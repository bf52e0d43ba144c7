import { LOG_LEVELS, type LogLevel } from './log.ts';
import type { PassOptions } from './pass.ts';

/** What the command line gives, as commander leaves it: strings, or `true` for a bare boolean flag. */
export interface CullFlags {
  url?: string;
  timeout?: string;
  cullEvery?: string;
  maxAge?: string;
  concurrency?: string;
  apiPageSize?: string;
  cullUsers?: string | boolean;
  cullAdminUsers?: string | boolean;
  cullDefaultServers?: string | boolean;
  cullNamedServers?: string | boolean;
  removeNamedServers?: string | boolean;
  sslEnabled?: string | boolean;
  internalCertsLocation?: string;
  logging?: string;
  once?: boolean;
}

export interface CullerOptions extends PassOptions {
  /** The hub API URL without a trailing slash. */
  url: string;
  token: string;
  cullEvery: number;
  concurrency: number;
  sslEnabled: boolean;
  internalCertsLocation: string;
  requestTimeoutMs: number;
  logLevel: LogLevel;
  once: boolean;
}

/** A bad flag, value or environment: the culler cannot start (exit 2). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const DEFAULTS = {
  timeout: 600,
  maxAge: 0,
  concurrency: 10,
  apiPageSize: 0,
  cullUsers: false,
  cullAdminUsers: true,
  cullDefaultServers: true,
  cullNamedServers: true,
  removeNamedServers: false,
  sslEnabled: false,
  internalCertsLocation: 'internal-ssl',
  requestTimeoutSeconds: 60,
} as const;

function wholeSeconds(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const v = raw.trim();
  if (!/^\+?\d+$/.test(v) || !Number.isSafeInteger(Number(v))) {
    throw new UsageError(`--${flag} must be a whole number ≥ 0, not '${raw}'`);
  }
  return Number(v);
}

const TRUE = new Set(['true', 't', '1', 'yes', 'y', 'on']);
const FALSE = new Set(['false', 'f', '0', 'no', 'n', 'off']);

/** `--flag` alone is true; `--flag=false` / `--no-flag` false, as the upstream culler's options parse them. */
function bool(flag: string, raw: string | boolean | undefined, fallback: boolean): boolean {
  if (raw === undefined) return fallback;
  if (typeof raw === 'boolean') return raw;
  const v = raw.trim().toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  throw new UsageError(`--${flag} must be true or false, not '${raw}'`);
}

function apiUrl(raw: string | undefined): string {
  if (!raw) throw new UsageError('no hub API URL: pass --url or set JUPYTERHUB_API_URL');
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new UsageError(`--url is not a URL: '${raw}'`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`--url must be http(s), not '${raw}'`);
  if (u.search || u.hash) throw new UsageError(`--url must not have a query or fragment: '${raw}'`);
  // Paths are appended as upstream does (url + "/users"), so a trailing slash would double up.
  return raw.trim().replace(/\/+$/, '');
}

/** Flags and environment (JUPYTERHUB_API_URL, JUPYTERHUB_API_TOKEN, JUPYTERHUB_REQUEST_TIMEOUT) → options. */
export function resolveOptions(flags: CullFlags, env: NodeJS.ProcessEnv): CullerOptions {
  const timeout = wholeSeconds('timeout', flags.timeout, DEFAULTS.timeout);
  // Upstream: an unset or zero --cull-every means half the timeout, rounded down.
  const cullEvery = wholeSeconds('cull-every', flags.cullEvery, 0) || Math.floor(timeout / 2);
  const once = flags.once === true;
  if (!once && cullEvery < 1) {
    throw new UsageError(
      `--cull-every works out to ${cullEvery} s (half of --timeout=${timeout}); give --cull-every ≥ 1 or --once`,
    );
  }
  const logging = (flags.logging ?? 'info').toLowerCase().replace(/^warn$/, 'warning') as LogLevel;
  if (!LOG_LEVELS.includes(logging))
    throw new UsageError(`--logging must be one of ${LOG_LEVELS.join(', ')}, not '${flags.logging}'`);

  const rawTimeout = env.JUPYTERHUB_REQUEST_TIMEOUT?.trim();
  let requestTimeoutMs: number = DEFAULTS.requestTimeoutSeconds * 1000;
  if (rawTimeout) {
    const s = Number(rawTimeout);
    if (!Number.isFinite(s) || s <= 0)
      throw new UsageError(`JUPYTERHUB_REQUEST_TIMEOUT must be a number of seconds > 0, not '${rawTimeout}'`);
    requestTimeoutMs = s * 1000;
  }

  const options: CullerOptions = {
    url: apiUrl(flags.url ?? env.JUPYTERHUB_API_URL),
    token: '',
    timeout,
    cullEvery,
    maxAge: wholeSeconds('max-age', flags.maxAge, DEFAULTS.maxAge),
    concurrency: wholeSeconds('concurrency', flags.concurrency, DEFAULTS.concurrency),
    apiPageSize: wholeSeconds('api-page-size', flags.apiPageSize, DEFAULTS.apiPageSize),
    cullUsers: bool('cull-users', flags.cullUsers, DEFAULTS.cullUsers),
    cullAdminUsers: bool('cull-admin-users', flags.cullAdminUsers, DEFAULTS.cullAdminUsers),
    cullDefaultServers: bool('cull-default-servers', flags.cullDefaultServers, DEFAULTS.cullDefaultServers),
    cullNamedServers: bool('cull-named-servers', flags.cullNamedServers, DEFAULTS.cullNamedServers),
    removeNamedServers: bool('remove-named-servers', flags.removeNamedServers, DEFAULTS.removeNamedServers),
    sslEnabled: bool('ssl-enabled', flags.sslEnabled, DEFAULTS.sslEnabled),
    internalCertsLocation: flags.internalCertsLocation || DEFAULTS.internalCertsLocation,
    requestTimeoutMs,
    logLevel: logging,
    once,
  };
  // Checked last so that a mistyped flag is reported before a missing token.
  const token = env.JUPYTERHUB_API_TOKEN?.trim();
  if (!token)
    throw new UsageError(
      'no API token: set JUPYTERHUB_API_TOKEN (scopes: list:users, read:users:activity, read:servers, delete:servers; admin:users with --cull-users)',
    );
  options.token = token;
  return options;
}
