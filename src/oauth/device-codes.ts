import { createHash, randomBytes, randomInt } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/index.ts';
import { parseJson } from '../lib/json.ts';
import { isoIn, isoNow } from '../lib/time.ts';

/** The public client `tshub login` uses: no secret, as a command line cannot keep one (RFC 8628 3.1). */
export const CLI_CLIENT_ID = 'tshub-cli';

/** RFC 8628 6.1: consonants only, no vowels (no words) and nothing that reads as another character. */
const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
const USER_CODE_LENGTH = 8;
/** What slow_down adds to the interval (RFC 8628 3.5). */
export const SLOW_DOWN_STEP = 5;

function digest(value: string): string {
  return `sha256:${createHash('sha256').update(value).digest('hex')}`;
}

/** Upper case, dashes and spaces dropped: what the user typed, compared as the code it stands for. */
export function normaliseUserCode(typed: string): string {
  return typed.toUpperCase().replace(/[\s-]/g, '');
}

/** XXXX-XXXX: the form the user is shown (and may type, or not). */
export function displayUserCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

function newUserCode(): string {
  let code = '';
  for (let i = 0; i < USER_CODE_LENGTH; i++) code += USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)];
  return code;
}

export interface NewDeviceLogin {
  clientId: string;
  scopes: string[] | null;
  ip: string | null;
  userAgent: string | null;
  interval: number;
  expiresIn: number;
}

export interface DeviceLogin {
  deviceHash: string;
  clientId: string;
  scopes: string[] | null;
  ip: string | null;
  userAgent: string | null;
  interval: number;
  lastPoll: string | null;
  status: 'pending' | 'approved' | 'denied';
  userId: number | null;
  approvedScopes: string[] | null;
  expiresAt: string;
}

type Row = Database['oauth_device_codes'];

function fromRow(
  row: {
    [K in keyof Row]: Row[K];
  },
): DeviceLogin {
  return {
    deviceHash: row.device_hash,
    clientId: row.client_id,
    scopes: row.scopes === null ? null : parseJson<string[]>(row.scopes, []),
    ip: row.requester_ip,
    userAgent: row.user_agent,
    interval: row.interval,
    lastPoll: row.last_poll,
    status: row.status,
    userId: row.user_id,
    approvedScopes: row.approved_scopes === null ? null : parseJson<string[]>(row.approved_scopes, []),
    expiresAt: row.expires_at,
  };
}

/** Makes a device login; returns its two codes (each shown once, stored as digests). */
export async function createDeviceLogin(
  k: Kysely<Database>,
  d: NewDeviceLogin,
): Promise<{ deviceCode: string; userCode: string }> {
  const now = isoNow();
  // Expired logins are of no use to anyone: sweep them whenever a new one is made.
  await k.deleteFrom('oauth_device_codes').where('expires_at', '<=', now).execute();
  const deviceCode = randomBytes(32).toString('base64url');
  // A clash of live user codes is rare (20^8 codes) but must not make a login fail: draw again.
  for (let attempt = 0; ; attempt++) {
    const userCode = newUserCode();
    const hash = digest(userCode);
    const taken = await k
      .selectFrom('oauth_device_codes')
      .select('device_hash')
      .where('user_code_hash', '=', hash)
      .executeTakeFirst();
    if (taken && attempt < 5) continue;
    await k
      .insertInto('oauth_device_codes')
      .values({
        device_hash: digest(deviceCode),
        user_code_hash: hash,
        client_id: d.clientId,
        scopes: d.scopes === null ? null : JSON.stringify(d.scopes),
        requester_ip: d.ip,
        user_agent: d.userAgent,
        interval: d.interval,
        last_poll: null,
        status: 'pending',
        user_id: null,
        approved_scopes: null,
        expires_at: isoIn(d.expiresIn),
        created: now,
      })
      .execute();
    return { deviceCode, userCode };
  }
}

/** The login a user code (as typed) stands for, expired or not; null if none. */
export async function findByUserCode(k: Kysely<Database>, typed: string): Promise<DeviceLogin | null> {
  const row = await k
    .selectFrom('oauth_device_codes')
    .selectAll()
    .where('user_code_hash', '=', digest(normaliseUserCode(typed)))
    .executeTakeFirst();
  return row ? fromRow(row) : null;
}

export async function findByDeviceCode(k: Kysely<Database>, deviceCode: string): Promise<DeviceLogin | null> {
  const row = await k
    .selectFrom('oauth_device_codes')
    .selectAll()
    .where('device_hash', '=', digest(deviceCode))
    .executeTakeFirst();
  return row ? fromRow(row) : null;
}

/**
 * Records the user's decision on a pending login. Only a pending row changes, so of two decisions (two tabs,
 * a replayed form) the first wins; returns whether this one did.
 */
export async function decideDeviceLogin(
  k: Kysely<Database>,
  deviceHash: string,
  userId: number,
  decision: { approved: true; scopes: string[] } | { approved: false },
): Promise<boolean> {
  const res = await k
    .updateTable('oauth_device_codes')
    .set({
      status: decision.approved ? 'approved' : 'denied',
      user_id: userId,
      approved_scopes: decision.approved ? JSON.stringify(decision.scopes) : null,
    })
    .where('device_hash', '=', deviceHash)
    .where('status', '=', 'pending')
    .where('expires_at', '>', isoNow())
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/** Notes a poll; with `slowDown`, the device's interval grows for all later polls. */
export async function notePoll(k: Kysely<Database>, login: DeviceLogin, slowDown: boolean): Promise<void> {
  await k
    .updateTable('oauth_device_codes')
    .set({ last_poll: isoNow(), interval: login.interval + (slowDown ? SLOW_DOWN_STEP : 0) })
    .where('device_hash', '=', login.deviceHash)
    .execute();
}

/** Takes a decided login out of the store: the delete is the claim, so its token is handed out once. */
export async function claimDeviceLogin(k: Kysely<Database>, deviceHash: string): Promise<boolean> {
  const res = await k.deleteFrom('oauth_device_codes').where('device_hash', '=', deviceHash).executeTakeFirst();
  return Number(res.numDeletedRows) === 1;
}
