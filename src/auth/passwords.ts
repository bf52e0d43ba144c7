// Per-user passwords for the password authenticator: argon2id hashes (PHC strings carrying their own
// salt and parameters) in user_passwords, checked with argon2's own constant-time verify.
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as argon2Module from '@node-rs/argon2';
import type { Kysely } from 'kysely';
import type { Database } from '../db/index.ts';
import { isoNow } from '../lib/time.ts';

export const MIN_PASSWORD_LENGTH = 8;
// Long enough for any passphrase; a bound so that nobody makes the hub hash megabytes.
export const MAX_PASSWORD_LENGTH = 1024;

// Algorithm.Argon2id is a `const enum` in the package's types, which erasable TypeScript cannot use.
const ARGON2ID = 2;
// OWASP's baseline for argon2id (19 MiB, 2 passes, 1 lane): about 50-100 ms here, per attempt.
const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19456, timeCost: 2, parallelism: 1 };

/** Why a new password is refused, or null when it is acceptable. */
export function passwordProblem(password: string): string | null {
  if ([...password].length < MIN_PASSWORD_LENGTH)
    return `a password must have at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > MAX_PASSWORD_LENGTH) return `a password may have at most ${MAX_PASSWORD_LENGTH} characters`;
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

/** The stored hash for a user (by normalized name), or null if the user or their password does not exist. */
export async function passwordHashFor(
  k: Kysely<Database>,
  name: string,
): Promise<{ userId: number; hash: string | null } | null> {
  const row = await k
    .selectFrom('users')
    .leftJoin('user_passwords', 'user_passwords.user_id', 'users.id')
    .select(['users.id as userId', 'user_passwords.hash as hash'])
    .where('users.name', '=', name)
    .executeTakeFirst();
  return row ? { userId: row.userId, hash: row.hash ?? null } : null;
}

/** Sets (or replaces) a user's password hash. */
export async function storePasswordHash(k: Kysely<Database>, userId: number, passwordHash: string): Promise<void> {
  const updated = isoNow();
  await k
    .insertInto('user_passwords')
    .values({ user_id: userId, hash: passwordHash, updated })
    .onConflict((oc) => oc.column('user_id').doUpdateSet({ hash: passwordHash, updated }))
    .execute();
}
