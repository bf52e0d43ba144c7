// The password authenticator's optional second factor (authenticator.allow_2fa): RFC 6238 codes from an
// authenticator app (SHA-1, 6 digits, 30 s: what every app assumes), through otplib. The secret is kept
// as Fernet ciphertext under JUPYTERHUB_CRYPT_KEY, like auth_state, so a copy of the database alone does
// not let anyone make codes.
import { createRequire } from 'node:module';
import type { Kysely } from 'kysely';
import type * as otplibModule from 'otplib';
import type { Database } from '../db/index.ts';
import type { CryptKeeper } from './auth-state/index.ts';

// Loaded on first use: otplib and its hash and base32 plugins are ~30 modules a hub without second
// factors (any other authenticator, or allow_2fa off) never uses.
let loaded: typeof otplibModule | null = null;
function otplib(): typeof otplibModule {
  loaded ??= createRequire(import.meta.url)('otplib') as typeof otplibModule;
  return loaded;
}

/** One step either side: a phone clock a little off, or a code typed as it changed, still counts. */
const TOLERANCE_SECONDS = 30;

export interface TotpEnrollment {
  secret: string;
  /** otpauth://totp/... for apps that take a link or for a QR code made elsewhere. */
  uri: string;
}

/** A secret (new: 160 random bits, base32) and its otpauth URI, labelled with the hub's host and the user. */
export function totpEnrollment(bindUrl: string, name: string, secret = otplib().generateSecret()): TotpEnrollment {
  return { secret, uri: otplib().generateURI({ issuer: new URL(bindUrl).hostname, label: name, secret }) };
}

export function sealTotpSecret(crypt: CryptKeeper, secret: string): string {
  return crypt.encrypt({ totp: secret });
}

/** The secret, or null when no key opens it (a rotated-away key): the user then cannot pass the check. */
export function openTotpSecret(crypt: CryptKeeper, sealed: string): string | null {
  try {
    const v = crypt.decrypt(sealed) as { totp?: unknown };
    return typeof v?.totp === 'string' ? v.totp : null;
  } catch {
    return null;
  }
}

/** The time step `code` is right for, later than `afterStep`; null for a wrong, malformed or used code. */
export async function totpStep(secret: string, code: unknown, afterStep: number | null): Promise<number | null> {
  if (typeof code !== 'string' || !/^\d{6}$/.test(code.trim())) return null;
  const r = await otplib().verify({
    secret,
    token: code.trim(),
    epochTolerance: TOLERANCE_SECONDS,
    ...(afterStep === null ? {} : { afterTimeStep: afterStep }),
  });
  return r.valid && 'timeStep' in r ? r.timeStep : null;
}

/**
 * Records `step` as the user's last accepted one, if it is later than what is stored. The condition is in
 * the UPDATE itself, so of two logins racing with the same code only one wins. False: already used.
 */
export async function consumeTotpStep(k: Kysely<Database>, userId: number, step: number): Promise<boolean> {
  const r = await k
    .updateTable('user_passwords')
    .set({ otp_last_step: step })
    .where('user_id', '=', userId)
    .where((eb) => eb.or([eb('otp_last_step', 'is', null), eb('otp_last_step', '<', step)]))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}
