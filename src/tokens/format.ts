import { hash, randomFillSync, timingSafeEqual } from 'node:crypto';
import { crc32 } from 'node:zlib';

// Generated tokens: tshub_<32 base62 random><6 base62 CRC32 of everything before it>.
// The fixed prefix lets secret scanners find leaked tokens; the checksum lets us reject typos and
// made-up strings without a database lookup.
export const TOKEN_PREFIX = 'tshub_';
const RANDOM_LENGTH = 32;
const CHECKSUM_LENGTH = 6;
export const TOKEN_LENGTH = TOKEN_PREFIX.length + RANDOM_LENGTH + CHECKSUM_LENGTH;
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const BASE62 = /^[0-9A-Za-z]+$/;
/** Characters of a generated token shown in lists (after `tshub_`). */
export const DISPLAY_PREFIX_LENGTH = 8;

// Random bytes come from the system a block at a time (one call per ~100 tokens; each call costs as much as
// the rest of making a token), as crypto.randomUUID does. A byte is wiped once used, so the pool never
// holds a part of a token already handed out.
const pool = Buffer.alloc(4096);
let poolAt = pool.length;

function randomByte(): number {
  if (poolAt === pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const byte = pool[poolAt]!;
  pool[poolAt++] = 0;
  return byte;
}

function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    const byte = randomByte();
    // 248 = 4 * 62: rejecting bytes above it keeps every character equally likely.
    if (byte < 248) out += ALPHABET[byte % 62];
  }
  return out;
}

function checksum(body: string): string {
  let n = crc32(body);
  let out = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = ALPHABET[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

export function generateToken(): string {
  const body = TOKEN_PREFIX + randomBase62(RANDOM_LENGTH);
  return body + checksum(body);
}

/** True for strings that claim our format (so a failed check means malformed, not a config token). */
export function looksGenerated(token: string): boolean {
  return token.startsWith(TOKEN_PREFIX);
}

export function hasValidChecksum(token: string): boolean {
  if (token.length !== TOKEN_LENGTH || !looksGenerated(token)) return false;
  const rest = token.slice(TOKEN_PREFIX.length);
  if (!BASE62.test(rest)) return false;
  const body = token.slice(0, TOKEN_LENGTH - CHECKSUM_LENGTH);
  const given = Buffer.from(token.slice(TOKEN_LENGTH - CHECKSUM_LENGTH));
  return timingSafeEqual(given, Buffer.from(checksum(body)));
}

export function displayPrefix(token: string): string {
  // Config tokens may be short and weak: reveal only as much of them as JupyterHub does (4 characters).
  return looksGenerated(token)
    ? token.slice(TOKEN_PREFIX.length, TOKEN_PREFIX.length + DISPLAY_PREFIX_LENGTH)
    : token.slice(0, 4);
}

/** The stored form of a high-entropy token: a plain SHA-256 digest, unique-indexed for one-query lookup. */
export function digestToken(token: string): string {
  return `sha256:${hash('sha256', token, 'hex')}`;
}
