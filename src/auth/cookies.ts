import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { safeEqual } from '../lib/secrets.ts';

/**
 * Cookie plumbing done by hand (no @fastify/cookie): parsing the Cookie header, writing Set-Cookie,
 * and HMAC-signed values for the login cookie, keyed by the hub's cookie secret.
 */

export interface CookieOptions {
  path: string;
  httpOnly?: boolean;
  secure?: boolean;
  sameSite?: 'Lax' | 'Strict' | 'None';
  /** Seconds; 0 deletes the cookie; undefined = a browser-session cookie. */
  maxAge?: number;
}

/** Every value per name: the same name may come several times (cookies set on different paths). */
export function parseCookies(header: string | undefined): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (!name) continue;
    const list = out.get(name);
    if (list) list.push(value);
    else out.set(name, [value]);
  }
  return out;
}

// RFC 6265 cookie-octets: what may appear unquoted in a value. Our values are base64url, hex or uuids.
const COOKIE_VALUE = /^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*$/;
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export function serializeCookie(name: string, value: string, opts: CookieOptions): string {
  if (!COOKIE_NAME.test(name)) throw new Error(`invalid cookie name ${JSON.stringify(name)}`);
  if (!COOKIE_VALUE.test(value)) throw new Error(`invalid value for cookie ${name}`);
  const parts = [`${name}=${value}`, `Path=${opts.path}`];
  if (opts.maxAge !== undefined) {
    parts.push(`Max-Age=${Math.max(0, Math.floor(opts.maxAge))}`);
    // Old browsers ignore Max-Age; an Expires in the past makes them drop the cookie too.
    if (opts.maxAge <= 0) parts.push('Expires=Thu, 01 Jan 1970 00:00:00 GMT');
  }
  if (opts.httpOnly) parts.push('HttpOnly');
  if (opts.secure) parts.push('Secure');
  if (opts.sameSite) parts.push(`SameSite=${opts.sameSite}`);
  return parts.join('; ');
}

/** A Set-Cookie that deletes `name` on `path` (a browser keeps cookies per name and path). */
export function clearingCookie(name: string, path: string, secure = false): string {
  return serializeCookie(name, '', { path, maxAge: 0, httpOnly: true, secure, sameSite: 'Lax' });
}

function mac(secret: Buffer, ...parts: string[]): Buffer {
  const h = createHmac('sha256', secret);
  // Length-prefix each part so that no two different part lists hash the same input.
  for (const p of parts) h.update(`${Buffer.byteLength(p)}:${p};`);
  return h.digest();
}

/** A base64url HMAC of `parts`, for tokens that are derived rather than stored (the XSRF token). */
export function derive(secret: Buffer, ...parts: string[]): string {
  return mac(secret, ...parts).toString('base64url');
}

/**
 * `<value b64url>.<issued unix seconds>.<mac>`: the cookie name is part of the MAC, so a value signed
 * for one cookie is worthless in another, and the timestamp lets the server refuse a replayed old
 * cookie whatever Max-Age the browser was told.
 */
export function signValue(secret: Buffer, name: string, value: string, now = Date.now()): string {
  const v = Buffer.from(value).toString('base64url');
  const ts = String(Math.floor(now / 1000));
  return `${v}.${ts}.${mac(secret, name, v, ts).toString('base64url')}`;
}

export function verifySignedValue(
  secret: Buffer,
  name: string,
  signed: string,
  maxAgeSeconds: number,
  now = Date.now(),
): string | null {
  const parts = signed.split('.');
  if (parts.length !== 3) return null;
  const [v, ts, sig] = parts as [string, string, string];
  if (!/^\d{1,12}$/.test(ts)) return null;
  const expected = mac(secret, name, v, ts);
  if (!safeEqual(Buffer.from(sig, 'base64url'), expected)) return null;
  const age = now / 1000 - Number(ts);
  // A little slack for clocks; a cookie from the future beyond that was not made by us.
  if (age > maxAgeSeconds || age < -300) return null;
  return Buffer.from(v, 'base64url').toString();
}

export class CookieSecretError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CookieSecretError';
  }
}

const HEX = /^(?:[0-9a-fA-F]{2})+$/;
const SECRET_BYTES = 32;

/**
 * The secret that signs login cookies and derives XSRF tokens, as JupyterHub loads it: the
 * JPY_COOKIE_SECRET environment variable (hex), else `cookie_secret_file` (hex; relative paths are
 * relative to the hub's state directory), created with 32 random bytes when missing. A file that
 * others may read or write is refused: whoever knows the secret can forge anyone's login.
 */
export function loadCookieSecret(
  file: string,
  stateDir: string,
  env: NodeJS.ProcessEnv = process.env,
): { secret: Buffer; from: string } {
  const fromEnv = env.JPY_COOKIE_SECRET?.trim();
  if (fromEnv) {
    if (!HEX.test(fromEnv))
      throw new CookieSecretError('JPY_COOKIE_SECRET must be hex-encoded (e.g. the output of `openssl rand -hex 32`)');
    return { secret: Buffer.from(fromEnv, 'hex'), from: 'env JPY_COOKIE_SECRET' };
  }
  const path = isAbsolute(file) ? file : join(stateDir, file);
  if (existsSync(path)) {
    const mode = statSync(path).mode;
    if (process.platform !== 'win32' && mode & 0o007) {
      throw new CookieSecretError(
        `cookie_secret_file ${path} can be read or written by anybody (mode ${(mode & 0o777).toString(8)}); run \`chmod 600 ${path}\``,
      );
    }
    const text = readFileSync(path, 'utf8').trim();
    if (!HEX.test(text) || text.length < 32) {
      throw new CookieSecretError(
        `cookie_secret_file ${path} must hold a hex secret of at least 16 bytes (e.g. \`openssl rand -hex 32\`)`,
      );
    }
    return { secret: Buffer.from(text, 'hex'), from: path };
  }
  const secret = randomBytes(SECRET_BYTES);
  // 'wx' fails rather than overwrites if another process created the file meanwhile.
  writeFileSync(path, `${secret.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  return { secret, from: `${path} (new)` };
}
