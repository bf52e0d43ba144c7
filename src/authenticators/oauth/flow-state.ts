import { clearingCookie, parseCookies, serializeCookie, signValue, verifySignedValue } from '../../auth/cookies.ts';

/** What the browser carries between /hub/oauth_login and /hub/oauth_callback. */
export interface FlowState {
  state: string;
  /** Sent as the id_token's expected nonce; null when no id_token is asked for. */
  nonce: string | null;
  /** The PKCE code verifier; null with enable_pkce off. */
  verifier: string | null;
  /** Where to go after logging in (already checked to be a path of this hub). */
  next: string | null;
}

export const FLOW_COOKIE = 'tshub-oauth-state';
/** Long enough to sign in at the provider (with a second factor), short enough that a leaked cookie soon expires. */
export const FLOW_MAX_AGE_SECONDS = 600;

export interface CookieScope {
  secret: Buffer;
  path: string;
  secure: boolean;
}

/**
 * Signed with the cookie secret (so the browser cannot choose its own verifier or nonce) and httpOnly.
 * SameSite=Lax still sends it on the provider's top-level redirect back to the callback.
 */
export function flowCookie(scope: CookieScope, flow: FlowState): string {
  return serializeCookie(FLOW_COOKIE, signValue(scope.secret, FLOW_COOKIE, JSON.stringify(flow)), {
    path: scope.path,
    httpOnly: true,
    secure: scope.secure,
    sameSite: 'Lax',
    maxAge: FLOW_MAX_AGE_SECONDS,
  });
}

export const clearFlowCookie = (scope: CookieScope) => clearingCookie(FLOW_COOKIE, scope.path, scope.secure);

function parse(json: string): FlowState | null {
  try {
    const v = JSON.parse(json) as Partial<FlowState>;
    if (typeof v.state !== 'string' || !v.state) return null;
    const strOrNull = (x: unknown) => (typeof x === 'string' ? x : null);
    return { state: v.state, nonce: strOrNull(v.nonce), verifier: strOrNull(v.verifier), next: strOrNull(v.next) };
  } catch {
    return null;
  }
}

/** The flow this browser started, if its cookie is ours and younger than FLOW_MAX_AGE_SECONDS. */
export function readFlow(scope: CookieScope, cookieHeader: string | undefined): FlowState | null {
  for (const raw of parseCookies(cookieHeader).get(FLOW_COOKIE) ?? []) {
    const json = verifySignedValue(scope.secret, FLOW_COOKIE, raw, FLOW_MAX_AGE_SECONDS);
    const flow = json === null ? null : parse(json);
    if (flow) return flow;
  }
  return null;
}
