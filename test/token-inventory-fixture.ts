// A hub's worth of tokens for the inventory tests and bench: users and tokens written with batched SQL
// (both dialects), their attributes drawn from a seeded generator, their secrets kept so requests can
// present them. Times avoid the hour around any boundary a filter or the state compares against.
import type { Kysely } from 'kysely';
import type { Database } from '../src/db/index.ts';
import { insertUsersWithDefaultRoles } from '../src/repo/users.ts';
import { digestToken, displayPrefix, generateToken } from '../src/tokens/format.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const NOTES = ['laptop', 'CI deploy', 'notebook export', 'Requested via api', 'grafana_bot', '100% cron'];
const SCOPES = [
  ['inherit'],
  ['read:users'],
  ['admin:users'],
  ['users!user=u0001'],
  ['read:tokens', 'read:servers'],
  ['admin:servers'],
  ['access:servers!server=u0002/'],
];

function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FilledToken {
  id: number;
  raw: string;
  user: string;
}

/** `users` users u0000… (the first 1% admins) and `tokens` tokens spread over them. */
export async function fillInventory(
  k: Kysely<Database>,
  opts: { users: number; tokens: number; nowMs: number; baseUrl: string; seed?: number },
): Promise<FilledToken[]> {
  const rand = prng(opts.seed ?? 20);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  const names = Array.from({ length: opts.users }, (_, i) => `u${String(i).padStart(4, '0')}`);
  const admins = Math.max(1, Math.floor(opts.users / 100));
  const ids: number[] = [];
  for (let i = 0; i < names.length; i += 200) {
    const chunk = names.slice(i, i + 200);
    const rows = await insertUsersWithDefaultRoles(k, chunk, false);
    ids.push(...rows.map((r) => r.id));
  }
  await k.updateTable('users').set({ admin: 1 }).where('name', 'in', names.slice(0, admins)).execute();
  // Whole days and a half hour off: no value lands near "now - N days" for a whole N.
  const daysAgo = (d: number) =>
    new Date(opts.nowMs - d * DAY - HOUR / 2 - Math.floor(rand() * 20) * HOUR).toISOString();
  const out: FilledToken[] = [];
  const rows = [];
  for (let n = 0; n < opts.tokens; n++) {
    const u = Math.floor(rand() * names.length);
    const name = names[u]!;
    const raw = generateToken();
    const r = rand();
    const kind = r < 0.8 ? 'api' : r < 0.9 ? 'server' : 'oauth';
    const createdDays = Math.floor(rand() * 400);
    const created = daysAgo(createdDays);
    const lifetimeDays = rand() < 0.3 ? null : 1 + Math.floor(rand() * 500);
    const expires_at =
      lifetimeDays === null ? null : new Date(Date.parse(created) + lifetimeDays * DAY + HOUR / 4).toISOString();
    const used = rand() < 0.7 ? Math.floor(rand() * (createdDays + 1)) : null;
    const revoked = rand() < 0.05;
    const rotated = !revoked && expires_at !== null && Date.parse(expires_at) < opts.nowMs && rand() < 0.3;
    rows.push({
      hashed: digestToken(raw),
      prefix: displayPrefix(raw),
      kind,
      user_id: ids[u]!,
      service_id: null,
      client_id: kind === 'oauth' ? `jupyterhub-user-${name}` : 'jupyterhub',
      session_id: null,
      note: kind === 'server' ? `Server at ${opts.baseUrl}user/${name}/` : pick(NOTES),
      scopes: JSON.stringify(kind === 'api' ? pick(SCOPES) : ['users:activity!user']),
      created,
      expires_at,
      last_activity: used === null ? null : daysAgo(used),
      last_used_ip: used === null ? null : '127.0.0.1',
      revoked_at: revoked ? daysAgo(0) : null,
      rotated_from: null,
      replaced_by: rotated ? 1 : null,
    });
    out.push({ id: 0, raw, user: name });
  }
  for (let i = 0; i < rows.length; i += 500) {
    const inserted = await k
      .insertInto('api_tokens')
      .values(rows.slice(i, i + 500))
      .returning('id')
      .execute();
    inserted.forEach((r, j) => {
      out[i + j]!.id = r.id;
    });
  }
  return out;
}
