// The hub tokens a request carries, wherever a client or a single-user server's login puts them:
// `Authorization: token|Bearer X`, a `token` query parameter, and the OAuth login cookie that HubOAuth
// sets on the server's path (named after the OAuth client: `jupyterhub-user-<name>[-<server>]` or
// `service-<name>`, possibly `__Host-` prefixed). That cookie is a tornado signed value whose payload is
// the access token in base64: it is read without the server's secret, since only the token matters here
// (a forged cookie yields a token that is not refused, and the server still checks the signature).
// Only strings with a valid generated-token checksum are returned: nothing else can be in the set.
import { isWellFormedToken } from '../../tokens/format.ts';

const AUTH = /^(?:token|bearer)\s+(\S+)/i;
const LOGIN_COOKIE = /^(?:__Host-)?(?:jupyterhub-user-|service-)/;

/** The payload of a tornado signed value, version 2 (`2|1:0|<len>:<ts>|<len>:<name>|<len>:<b64>|<sig>`) or 1. */
export function signedCookiePayload(value: string): string | null {
  let b64: string | undefined;
  if (value.startsWith('2|')) {
    // Length-prefixed fields: key version, timestamp, name, value.
    let at = 2;
    const fields: string[] = [];
    while (fields.length < 4) {
      const colon = value.indexOf(':', at);
      if (colon < 0) return null;
      const len = Number(value.slice(at, colon));
      if (!Number.isInteger(len) || len < 0 || colon + 1 + len > value.length) return null;
      fields.push(value.slice(colon + 1, colon + 1 + len));
      at = colon + 1 + len;
      if (value[at] !== '|') return null;
      at++;
    }
    b64 = fields[3];
  } else {
    const parts = value.split('|');
    if (parts.length !== 3) return null;
    b64 = parts[0];
  }
  if (!b64 || !/^[A-Za-z0-9+/=_-]+$/.test(b64)) return null;
  return Buffer.from(b64, 'base64').toString('latin1');
}

function queryToken(url: string): string | null {
  const q = url.indexOf('?');
  if (q < 0 || !url.includes('token=', q)) return null;
  try {
    return new URLSearchParams(url.slice(q + 1)).get('token');
  } catch {
    return null;
  }
}

function cookieTokens(header: string, out: string[]): void {
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (!LOGIN_COOKIE.test(name)) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    const payload = signedCookiePayload(value);
    if (payload !== null) out.push(payload);
  }
}

/** Every generated hub token found in the request, in no particular order (usually none or one). */
export function requestTokens(req: { url: string; authorization: string; cookie: string }): string[] {
  const found: string[] = [];
  const auth = AUTH.exec(req.authorization);
  if (auth) found.push(auth[1]!);
  const q = queryToken(req.url);
  if (q) found.push(q);
  if (req.cookie) cookieTokens(req.cookie, found);
  return found.filter(isWellFormedToken);
}
