import { oauthLoginFailed, oauthUnavailable } from '../../../errors/index.ts';

export interface ApiReply {
  status: number;
  body: unknown;
  headers: Headers;
}

/** Long enough for a busy provider, short enough that a login does not hang on one membership call. */
const API_TIMEOUT_MS = 10_000;

/**
 * One GET to a provider's REST API with the person's access token. Redirects are not followed: GitHub
 * answers 302 for "you may not see this organization's members", which is a no, not a page to go to.
 * Network failures surface as fetch's TypeError, which the flow turns into oauth_unavailable.
 */
export async function apiGet(url: string, accessToken: string, accept = 'application/json'): Promise<ApiReply> {
  const res = await fetch(url, {
    headers: { authorization: `Bearer ${accessToken}`, accept, 'user-agent': 'tshub' },
    redirect: 'manual',
    signal: AbortSignal.timeout(API_TIMEOUT_MS),
  });
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON (an HTML error page from a proxy): the status alone decides.
  }
  return { status: res.status, body, headers: res.headers };
}

/**
 * Statuses that are neither "member" nor "not a member": a token the API does not accept, or an API that
 * is down. Refusing with the reason is right in both cases; admitting by accident never is.
 */
export function checkUsable(r: ApiReply, what: string): void {
  if (r.status === 401) throw oauthLoginFailed(`${what} did not accept the access token (401)`);
  if (r.status >= 500) throw oauthUnavailable(`${what} answered ${r.status}`);
}

export const isRecord = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** The admin's value for a key of the raw (not yet defaulted) authenticator.oauth section, if a string. */
export const rawString = (raw: Record<string, unknown>, key: string): string | undefined =>
  typeof raw[key] === 'string' ? (raw[key] as string) : undefined;

export const rawNonEmpty = (raw: Record<string, unknown>, key: string): boolean =>
  Array.isArray(raw[key]) && (raw[key] as unknown[]).length > 0;
