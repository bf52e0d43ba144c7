// Per-user passwords for the password authenticator: argon2id hashes (PHC strings carrying their own
// salt and parameters) in user_passwords, checked with argon2's own constant-time verify.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type * as argon2Module from '@node-rs/argon2';
import type { Kysely } from 'kysely';
import type { AuthenticatorConfig } from '../config/schema-authenticator.ts';
import type { Database } from '../db/index.ts';
import { isoNow } from '../lib/time.ts';

// Long enough for any passphrase; a bound so that nobody makes the hub hash megabytes.
export const MAX_PASSWORD_LENGTH = 1024;

// Algorithm.Argon2id is a `const enum` in the package's types, which erasable TypeScript cannot use.
const ARGON2ID = 2;
// OWASP's baseline for argon2id (19 MiB, 2 passes, 1 lane): about 50-100 ms here, per attempt.
const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19456, timeCost: 2, parallelism: 1 };

/** The password policy's settings (authenticator section, NativeAuthenticator's names). */
export type PasswordPolicy = Pick<AuthenticatorConfig, 'minimum_password_length' | 'check_common_password'>;

// Beside the sources in src/auth/ whether this module runs from there or compiled from dist/auth/.
const COMMON_FILE = join(import.meta.dirname, '..', '..', 'src', 'auth', 'common-passwords.txt');
let common: Set<string> | null = null;
function commonPasswords(): Set<string> {
  common ??= new Set(
    readFileSync(COMMON_FILE, 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#')),
  );
  return common;
}

/**
 * Why a new password is refused, or null when it is acceptable: the one password policy, which sign-up,
 * changing a password (page, admin page) and `tshub passwd` all apply.
 */
export function passwordProblem(policy: PasswordPolicy, password: string, username: string): string | null {
  const min = policy.minimum_password_length;
  if ([...password].length < min) return `a password must have at least ${min} characters`;
  if (password.length > MAX_PASSWORD_LENGTH) return `a password may have at most ${MAX_PASSWORD_LENGTH} characters`;
  const lower = password.toLowerCase();
  if (lower === username.toLowerCase()) return 'a password must not be the username';
  if (policy.check_common_password && commonPasswords().has(lower))
    return 'that password is too common (it is on the list of passwords people use most); choose another';
  return null;
}

// The native module is loaded on first use: most hubs (dummy or external authenticators) never need it.
let argon2: typeof argon2Module | null = null;
function argon(): typeof argon2Module {
  argon2 ??= createRequire(import.meta.url)('@node-rs/argon2') as typeof argon2Module;
  return argon2;
}

export function hashPassword(password: string): Promise<string> {
  return argon().hash(password, OPTIONS);
}

/** A password for `tshub passwd --random`: 144 random bits, in characters safe to paste anywhere. */
export function randomPassword(): string {
  return randomBytes(18).toString('base64url');
}

// Checked against when the user has no password, so that an unknown name costs the same argon2 work
// as a wrong password and the two cannot be told apart by timing. Made once per process.
let dummyHash: Promise<string> | null = null;

/**
 * Whether `password` matches `stored`; with no stored hash, does the same work and says no.
 * A malformed stored hash counts as a mismatch (the caller logs nothing secret).
 */
export async function verifyPassword(stored: string | null, password: string): Promise<boolean> {
  dummyHash ??= hashPassword(randomPassword());
  const target = stored ?? (await dummyHash);
  let ok: boolean;
  try {
    ok = await argon().verify(target, password);
  } catch {
    ok = false;
  }
  return ok && stored !== null;
}

/** What the password check needs of a user (by normalized name): hash and second factor. */
export interface PasswordRecord {
  userId: number;
  hash: string | null;
  otpSecret: string | null;
  otpLastStep: number | null;
}

/** The stored record for a user (by normalized name), or null if the user does not exist. */
export async function passwordHashFor(k: Kysely<Database>, name: string): Promise<PasswordRecord | null> {
  const row = await k
    .selectFrom('users')
    .leftJoin('user_passwords', 'user_passwords.user_id', 'users.id')
    .select([
      'users.id as userId',
      'user_passwords.hash as hash',
      'user_passwords.otp_secret as otpSecret',
      'user_passwords.otp_last_step as otpLastStep',
    ])
    .where('users.name', '=', name)
    .executeTakeFirst();
  if (!row) return null;
  return {
    userId: row.userId,
    hash: row.hash ?? null,
    otpSecret: row.otpSecret ?? null,
    otpLastStep: row.otpLastStep === null || row.otpLastStep === undefined ? null : Number(row.otpLastStep),
  };
}

/** Sets (or replaces) a user's password hash; `otpSecret` (sealed) comes with an approved sign-up. */
export async function storePasswordHash(
  k: Kysely<Database>,
  userId: number,
  passwordHash: string,
  otpSecret: string | null = null,
): Promise<void> {
  const updated = isoNow();
  await k
    .insertInto('user_passwords')
    .values({ user_id: userId, hash: passwordHash, updated, otp_secret: otpSecret })
    .onConflict((oc) => oc.column('user_id').doUpdateSet({ hash: passwordHash, updated }))
    .execute();
}

/** Sets (sealed secret) or removes (null) a user's second factor; a new secret starts with no used step. */
export async function storeTotpSecret(k: Kysely<Database>, userId: number, sealed: string | null): Promise<number> {
  const r = await k
    .updateTable('user_passwords')
    .set({ otp_secret: sealed, otp_last_step: null, updated: isoNow() })
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}
