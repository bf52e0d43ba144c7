import { Type } from 'typebox';
import { originOf, userTarget } from '../audit/index.ts';
import type { HubContext } from '../context.ts';
import type { UserRow } from '../db/index.ts';
import { normalizeUsername, validateUsername } from '../auth/usernames.ts';
import { adminRequired, alreadyExists, HubError, invalidRequest, notFound } from '../errors/index.ts';
import { parseJson } from '../lib/json.ts';
import { scopeFilter } from '../rbac/index.ts';
import { assignDefaultRoles } from '../repo/roles.ts';
import { listUsers, type UserSort, type UserState } from '../repo/user-list.ts';
import {
  deleteUser,
  existingUserNames,
  findUser,
  insertUser,
  insertUsersWithDefaultRoles,
  updateUser,
} from '../repo/users.ts';
import type { HubServer } from '../http/server.ts';
import { need, needUser, needUserName, scopesFirst } from './access.ts';
import { pageOf, paginated } from './pagination.ts';
import { presentUsers, userFieldFilters } from './present-user.ts';
import { requestKey, type ReadCache } from './read-cache.ts';
import { errorResponses, IgnoredUserKeys, MaybePaginated, NoContent, PaginationQuery, UserModel } from './schemas.ts';

const tags = ['users'];
/** Users created per transaction by POST /users (SQLite's bound-parameter limit allows a few hundred). */
const BULK_CHUNK = 100;
const UserName = Type.Object({ name: Type.String() });
const READ_USER_SCOPES = [
  'read:users',
  'read:users:name',
  'read:servers',
  'read:users:groups',
  'read:users:activity',
  'read:roles:users',
];

function parseSort(value: string | undefined): UserSort {
  const raw = value ?? 'id';
  const desc = raw.startsWith('-');
  const key = desc ? raw.slice(1) : raw;
  if (key !== 'id' && key !== 'name' && key !== 'last_activity') {
    throw invalidRequest(`sort must be 'id', 'name', or 'last_activity', not '${raw}'`);
  }
  return { key, desc };
}

function parseState(value: string | undefined): UserState | null {
  if (value === undefined || value === '') return null;
  if (value === 'active' || value === 'ready' || value === 'inactive') return value;
  throw invalidRequest(`Unrecognized state filter: '${value}'`);
}

/** `?include_stopped_servers` alone means true; only 0/false turn it off. */
export function flagArg(value: string | undefined): boolean {
  return value !== undefined && !['0', 'false'].includes(value.toLowerCase());
}

export function userNamePattern(ctx: HubContext): RegExp | null {
  const p = ctx.config.authenticator.username_pattern;
  return p ? new RegExp(`^(?:${p})$`) : null;
}

export function registerUserRoutes(app: HubServer, ctx: HubContext, prefix: string, reads: ReadCache): void {
  const base = ctx.baseUrl;
  const present = (req: Parameters<typeof need>[1], rows: Parameters<typeof presentUsers>[1], includeStopped = false) =>
    presentUsers(ctx.k, rows, userFieldFilters(req.principal!), {
      baseUrl: base,
      includeStoppedServers: includeStopped,
    });

  app.get(
    `${prefix}/users`,
    {
      schema: {
        tags,
        summary: 'List users',
        querystring: Type.Object({
          ...PaginationQuery,
          state: Type.Optional(Type.String({ description: 'active | ready | inactive' })),
          name_filter: Type.Optional(Type.String()),
          sort: Type.Optional(Type.String({ description: '[-]id | name | last_activity' })),
          include_stopped_servers: Type.Optional(Type.String()),
        }),
        response: { 200: MaybePaginated(UserModel), ...errorResponses },
      },
    },
    async (req, reply) => {
      const p = need(ctx, req, ['list:users']);
      return reads.answer(reply, p, requestKey(req), async () => {
        const q = req.query;
        const page = pageOf(req, ctx.config, q);
        const filter = scopeFilter(p.scopes, 'list:users');
        let visible: { users: Set<string>; groups: Set<string> } | null = null;
        if (filter && !filter.all) {
          if (filter.servers.size || filter.services.size)
            throw new HubError(403, 'list:users cannot be filtered by server or service', 'insufficient_scope');
          visible = { users: filter.users, groups: filter.groups };
        }
        const { rows, total } = await listUsers(ctx.k, {
          offset: page.offset,
          limit: page.limit,
          nameFilter: q.name_filter || null,
          state: parseState(q.state),
          sort: parseSort(q.sort),
          visible,
        });
        const items = await present(req, rows, flagArg(q.include_stopped_servers));
        return page.paginated ? paginated(req, page, items, total) : items;
      });
    },
  );

  app.post(
    `${prefix}/users`,
    {
      preParsing: scopesFirst(ctx, ['admin:users']),
      schema: {
        tags,
        summary: 'Create several users',
        body: Type.Object(
          { usernames: Type.Array(Type.String()), admin: Type.Optional(Type.Boolean()), ...IgnoredUserKeys },
          { additionalProperties: false },
        ),
        response: { 201: Type.Array(UserModel), ...errorResponses },
      },
    },
    async (req, reply) => {
      const p = need(ctx, req, ['admin:users']);
      const { usernames, admin = false } = req.body ?? {};
      if (!usernames || usernames.length === 0) throw invalidRequest('Must specify at least one user to create');
      if (admin && !p.admin) throw adminRequired('Only admins can grant admin permissions');
      const pattern = userNamePattern(ctx);
      const normalized = usernames.map(normalizeUsername);
      const invalid = normalized.filter((n) => !validateUsername(n, pattern));
      if (invalid.length === 1) throw invalidRequest(`Invalid username: ${invalid[0]}`);
      if (invalid.length > 1) throw invalidRequest(`Invalid usernames: ${invalid.join(', ')}`);
      const existing = await existingUserNames(ctx.k, normalized);
      const toCreate = [...new Set(normalized.filter((n) => !existing.has(n)))];
      if (toCreate.length === 0) throw alreadyExists(`All ${usernames.length} users already exist`);
      // One transaction per chunk, each a couple of multi-row statements: a 1,000-user request never
      // holds the database (or, with SQLite's synchronous driver, the event loop) for long, and other
      // requests are served between chunks.
      const created = [];
      for (let i = 0; i < toCreate.length; i += BULK_CHUNK) {
        const chunk = toCreate.slice(i, i + BULK_CHUNK);
        created.push(...(await ctx.k.transaction().execute((trx) => insertUsersWithDefaultRoles(trx, chunk, admin))));
        await new Promise((r) => setImmediate(r));
      }
      req.log.info({ actor: p.name, count: created.length }, 'created users');
      for (const u of created)
        ctx.audit.record({
          ...originOf(req),
          action: 'user.create',
          target: userTarget(u.name),
          reason: admin ? 'admin' : null,
        });
      reply.code(201);
      return present(req, created);
    },
  );

  app.get(
    `${prefix}/users/:name`,
    {
      schema: {
        tags,
        summary: 'Get a user',
        params: UserName,
        querystring: Type.Object({ include_stopped_servers: Type.Optional(Type.String()) }),
        response: { 200: UserModel, ...errorResponses },
      },
    },
    async (req) => {
      const { user } = await needUser(ctx, req, READ_USER_SCOPES, req.params.name);
      const [model] = await present(req, [user], flagArg(req.query.include_stopped_servers));
      // Upstream fills in the real auth_state only here (and after PATCH); listings keep null.
      if (model && 'auth_state' in model) model.auth_state = parseJson<unknown>(user.auth_state, null);
      return model;
    },
  );

  app.post(
    `${prefix}/users/:name`,
    {
      preParsing: scopesFirst(ctx, ['admin:users']),
      schema: {
        tags,
        summary: 'Create a user',
        params: UserName,
        body: Type.Optional(
          Type.Union([
            Type.Object({ admin: Type.Optional(Type.Boolean()), ...IgnoredUserKeys }, { additionalProperties: false }),
            Type.Null(),
          ]),
        ),
        response: { 201: UserModel, ...errorResponses },
      },
    },
    async (req, reply) => {
      const name = normalizeUsername(req.params.name);
      // A filtered admin:users (e.g. !user=<name>) may create only the users it names, as upstream.
      const { p, user: existing } = await needUserName(ctx, req, ['admin:users'], name);
      if (existing) throw alreadyExists(`User ${name} already exists`);
      if (!validateUsername(name, userNamePattern(ctx))) throw invalidRequest(`Invalid username: ${name}`);
      const admin = req.body?.admin ?? false;
      if (admin && !p.admin) throw adminRequired('Only admins can grant admin permissions');
      const row = await ctx.k.transaction().execute(async (trx) => {
        const r = await insertUser(trx, name, admin);
        await assignDefaultRoles(trx, r.id, admin);
        return r;
      });
      req.log.info({ actor: p.name, user: name }, 'created user');
      ctx.audit.record({
        ...originOf(req),
        action: 'user.create',
        target: userTarget(name),
        reason: admin ? 'admin' : null,
      });
      reply.code(201);
      const [model] = await present(req, [row]);
      return model;
    },
  );

  app.patch(
    `${prefix}/users/:name`,
    {
      preParsing: scopesFirst(ctx, ['admin:users']),
      schema: {
        tags,
        summary: 'Rename a user, change admin, or set auth_state',
        params: UserName,
        body: Type.Object(
          {
            name: Type.Optional(Type.String()),
            admin: Type.Optional(Type.Boolean()),
            auth_state: Type.Optional(Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()])),
          },
          { additionalProperties: false },
        ),
        response: { 200: UserModel, ...errorResponses },
      },
    },
    async (req) => {
      const { p, user } = await needUserName(ctx, req, ['admin:users'], req.params.name);
      if (!user) throw notFound(`No such user: ${req.params.name}`);
      const data = req.body;
      let newName: string | undefined;
      if (data.name !== undefined && normalizeUsername(data.name) !== user.name) {
        newName = normalizeUsername(data.name);
        if (!validateUsername(newName, userNamePattern(ctx))) throw invalidRequest(`Invalid username: ${newName}`);
        if (await findUser(ctx.k, newName))
          throw invalidRequest(`User ${newName} already exists, username must be unique`);
      }
      if (!p.admin) {
        if (user.admin === 1) throw adminRequired('Only admins can modify other admins');
        if (data.admin) throw adminRequired('Only admins can grant admin permissions');
      }
      await ctx.k.transaction().execute(async (trx) => {
        await updateUser(trx, user.id, {
          name: newName,
          admin: data.admin,
          auth_state:
            data.auth_state === undefined
              ? undefined
              : data.auth_state === null
                ? null
                : JSON.stringify(data.auth_state),
        });
        if (data.admin !== undefined) await assignDefaultRoles(trx, user.id, data.admin);
      });
      ctx.permissions.invalidate();
      req.log.info({ actor: p.name, user: user.name, keys: Object.keys(data) }, 'updated user');
      ctx.audit.record({
        ...originOf(req),
        action: 'user.modify',
        target: userTarget(newName ?? user.name),
        reason: userChanges(user, data, newName),
      });
      const updated = (await findUser(ctx.k, newName ?? user.name))!;
      const [model] = await present(req, [updated]);
      return { ...model, auth_state: updated.auth_state === null ? null : JSON.parse(updated.auth_state) };
    },
  );

  app.delete(
    `${prefix}/users/:name`,
    {
      schema: { tags, summary: 'Delete a user', params: UserName, response: { 204: NoContent, ...errorResponses } },
    },
    async (req, reply) => {
      const { p, user } = await needUser(ctx, req, ['delete:users'], req.params.name);
      if (p.kind === 'user' && p.name === user.name) throw invalidRequest('Cannot delete yourself!');
      await deleteUser(ctx.k, user.id);
      ctx.permissions.invalidate();
      req.log.info({ actor: p.name, user: user.name }, 'deleted user');
      ctx.audit.record({ ...originOf(req), action: 'user.delete', target: userTarget(user.name) });
      return reply.code(204).send();
    },
  );
}

/** What a PATCH changed, for the audit log (auth_state only by name: it may hold secrets). */
function userChanges(
  before: UserRow,
  data: { admin?: boolean; auth_state?: unknown },
  newName: string | undefined,
): string {
  const parts = [];
  if (newName !== undefined) parts.push(`renamed from ${before.name} to ${newName}`);
  if (data.admin !== undefined && data.admin !== (before.admin === 1)) parts.push(`admin: ${data.admin}`);
  if (data.auth_state !== undefined) parts.push('auth_state replaced');
  return parts.length ? parts.join('; ') : 'no change';
}
