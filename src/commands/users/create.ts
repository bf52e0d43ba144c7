import { userTarget } from '../../audit/index.ts';
import type { Kysely } from 'kysely';
import type { Database, UserRow } from '../../db/index.ts';
import { adminRequired, alreadyExists, invalidRequest, invalidUsername } from '../../errors/index.ts';
import { normalizeUsername, validateUsername } from '../../auth/usernames.ts';
import { existingUserNames, findUser, insertUsersWithDefaultRoles } from '../../repo/users.ts';
import type { Caller, CommandDeps } from '../deps.ts';
import { checkedUsername, usernamePattern } from './rules.ts';

/** Users created per transaction (SQLite's bound-parameter limit allows a few hundred). */
const BULK_CHUNK = 100;

/** Only an admin grants admin; the hub itself (start-up, first login of an admin_users name) may. */
function checkAdminGrant(caller: Caller, admin: boolean): void {
  if (admin && caller.principal && !caller.principal.admin)
    throw adminRequired('Only admins can grant admin permissions');
}

function recordCreated(deps: CommandDeps, caller: Caller, rows: UserRow[], reason: string | null): void {
  for (const u of rows)
    deps.audit.record({ ...caller.origin, action: 'user.create', target: userTarget(u.name), reason });
}

export interface CreateUserInput {
  name: string;
  admin?: boolean;
  /** Why, for the audit log when not an API call (e.g. "first login"); defaults to "admin" for an admin. */
  reason?: string;
  /** More to write in the user's own transaction (a sign-up's password), so the user exists with it or not at all. */
  alongside?: (trx: Kysely<Database>, row: UserRow) => Promise<void>;
}

/** One user, with the default roles; 409 if the name is taken. */
export async function createUser(deps: CommandDeps, caller: Caller, input: CreateUserInput): Promise<UserRow> {
  const name = normalizeUsername(input.name);
  const admin = input.admin ?? false;
  if (await findUser(deps.k, name)) throw alreadyExists(`User ${name} already exists`);
  checkedUsername(deps.config, name);
  checkAdminGrant(caller, admin);
  const [row] = await deps.k.transaction().execute(async (trx) => {
    const rows = await insertUsersWithDefaultRoles(trx, [name], admin);
    await input.alongside?.(trx, rows[0]!);
    return rows;
  });
  deps.log.info({ actor: caller.principal?.name ?? null, user: name, admin }, 'created user');
  recordCreated(deps, caller, [row!], input.reason ?? (admin ? 'admin' : null));
  return row!;
}

/** Several users at once (POST /users): those that exist already are skipped, 409 if all do. */
export async function createUsers(
  deps: CommandDeps,
  caller: Caller,
  input: { names: string[]; admin?: boolean },
): Promise<UserRow[]> {
  const admin = input.admin ?? false;
  if (input.names.length === 0) throw invalidRequest('Must specify at least one user to create');
  checkAdminGrant(caller, admin);
  const pattern = usernamePattern(deps.config);
  const normalized = input.names.map(normalizeUsername);
  const invalid = normalized.filter((n) => !validateUsername(n, pattern));
  if (invalid.length) throw invalidUsername(...invalid);
  const existing = await existingUserNames(deps.k, normalized);
  const toCreate = [...new Set(normalized.filter((n) => !existing.has(n)))];
  if (toCreate.length === 0) throw alreadyExists(`All ${input.names.length} users already exist`);
  // One transaction per chunk, each a couple of multi-row statements: a 1,000-user request never holds
  // the database (or, with SQLite's synchronous driver, the event loop) for long, and other requests
  // are served between chunks.
  const created: UserRow[] = [];
  for (let i = 0; i < toCreate.length; i += BULK_CHUNK) {
    const chunk = toCreate.slice(i, i + BULK_CHUNK);
    created.push(...(await deps.k.transaction().execute((trx) => insertUsersWithDefaultRoles(trx, chunk, admin))));
    await new Promise((r) => setImmediate(r));
  }
  deps.log.info({ actor: caller.principal?.name ?? null, count: created.length }, 'created users');
  recordCreated(deps, caller, created, admin ? 'admin' : null);
  return created;
}
