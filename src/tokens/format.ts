import { hash, randomFillSync, timingSafeEqual } from 'node:crypto';
import { crc32 } from 'node:zlib';

// Generated tokens: tshub_<k>_<hub id><32 base62 random><6 base62 CRC32 of everything before it>.
// The fixed prefix lets secret scanners find leaked tokens, the kind letter and the hub id tell them what
// leaked and which hub to report it to; the checksum lets us reject typos and made-up strings without a
// database lookup. Tokens made before kinds existed (tshub_<32 random><6 checksum>) stay valid.
export const TOKEN_PREFIX = 'tshub_';
const RANDOM_LENGTH = 32;
const CHECKSUM_LENGTH = 6;
/** Length of a legacy (untyped) generated token. */
export const LEGACY_TOKEN_LENGTH = TOKEN_PREFIX.length + RANDOM_LENGTH + CHECKSUM_LENGTH;
export const HUB_ID_LENGTH = 4;
/** Length of a typed token: the prefix, the kind letter and its `_`, the hub id, the random part and the checksum. */
export const TYPED_TOKEN_LENGTH = LEGACY_TOKEN_LENGTH + 2 + HUB_ID_LENGTH;
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const BASE62 = /^[0-9A-Za-z]+$/;
/** Random characters of a generated token shown in lists (after `tshub_`, and a typed token's kind and hub id). */
export const DISPLAY_PREFIX_LENGTH = 8;

/** The kind letter: `p` personal (and any other user token made through the API), `s` service, `v` server, `o` OAuth. */
export type TokenType = 'p' | 's' | 'v' | 'o';
export const TOKEN_TYPES: Record<TokenType, string> = { p: 'personal', s: 'service', v: 'server', o: 'oauth' };

/**
 * Every generated token of any tshub hub, legacy or typed, in running text (global: use with matchAll).
 * The same text is published in docs/tokens.md for secret scanners. A match may still fail its checksum:
 * isWellFormedToken tells.
 */
export const TOKEN_REGEX = /(?<![0-9A-Za-z_])tshub_(?:[psvo]_[0-9A-Za-z]{42}|[0-9A-Za-z]{38})(?![0-9A-Za-z_])/g;

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

export function randomBase62(length: number): string {
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

/** A new token of `type` issued by hub `hubId`; without a type, the legacy untyped form (tests of old tokens). */
export function generateToken(type?: { kind: TokenType; hubId: string }): string {
  if (type && (type.hubId.length !== HUB_ID_LENGTH || !BASE62.test(type.hubId)))
    throw new Error(`a hub id is ${HUB_ID_LENGTH} base62 characters`);
  const head = type ? `${TOKEN_PREFIX}${type.kind}_${type.hubId}` : TOKEN_PREFIX;
  const body = head + randomBase62(RANDOM_LENGTH);
  return body + checksum(body);
}

/** True for strings that claim our format (so a failed check means malformed, not a config token). */
export function looksGenerated(token: string): boolean {
  return token.startsWith(TOKEN_PREFIX);
}

/** A typed token's kind and hub id; null for a legacy token, a config token or anything else. */
export function typedParts(token: string): { kind: TokenType; hubId: string } | null {
  if (token.length !== TYPED_TOKEN_LENGTH || !looksGenerated(token) || token[TOKEN_PREFIX.length + 1] !== '_')
    return null;
  const kind = token[TOKEN_PREFIX.length] as TokenType;
  if (!(kind in TOKEN_TYPES)) return null;
  const at = TOKEN_PREFIX.length + 2;
  return { kind, hubId: token.slice(at, at + HUB_ID_LENGTH) };
}

/** A generated token, legacy or typed, whose checksum holds: worth a database lookup. */
export function isWellFormedToken(token: string): boolean {
  let rest: string;
  if (token.length === LEGACY_TOKEN_LENGTH && looksGenerated(token)) rest = token.slice(TOKEN_PREFIX.length);
  else if (typedParts(token)) rest = token.slice(TOKEN_PREFIX.length + 2);
  else return false;
  if (!BASE62.test(rest)) return false;
  const body = token.slice(0, token.length - CHECKSUM_LENGTH);
  const given = Buffer.from(token.slice(token.length - CHECKSUM_LENGTH));
  return timingSafeEqual(given, Buffer.from(checksum(body)));
}

/** The well-formed tokens in `text` (legacy and typed, any hub's), each once, in order of appearance. */
export function findTokens(text: string): string[] {
  const found = new Set<string>();
  for (const [m] of text.matchAll(TOKEN_REGEX)) if (isWellFormedToken(m)) found.add(m);
  return [...found];
}

export function displayPrefix(token: string): string {
  // A typed token's kind and hub id are not secret and say what the token is: they lead its prefix.
  const lead = typedParts(token) ? 2 + HUB_ID_LENGTH : 0;
  // Config tokens may be short and weak: reveal only as much of them as JupyterHub does (4 characters).
  return looksGenerated(token)
    ? token.slice(TOKEN_PREFIX.length, TOKEN_PREFIX.length + lead + DISPLAY_PREFIX_LENGTH)
    : token.slice(0, 4);
}

/** The stored form of a high-entropy token: a plain SHA-256 digest, unique-indexed for one-query lookup. */
export function digestToken(token: string): string {
  return `sha256:${hash('sha256', token, 'hex')}`;
}
