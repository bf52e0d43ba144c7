import { Type } from 'typebox';
import { normalizeUsername } from '../auth/usernames.ts';
import { callerOf } from '../commands/deps.ts';
import {
  createUser,
  createUsers,
  deleteUser,
  loadAuthState,
  modifyUser,
  type UserChanges,
} from '../commands/users/index.ts';
import type { HubContext } from '../context.ts';
import { HubError, invalidRequest } from '../errors/index.ts';
import { scopeFilter } from '../rbac/index.ts';
import { type ListedUser, listUsers, type UserSort, type UserState } from '../repo/user-list.ts';
import { loadUserFacts } from '../repo/users.ts';
import type { HubServer } from '../http/server.ts';
import { need, needUser, needUserName, scopesFirst } from './access.ts';
import { pageOf, paginated } from './pagination.ts';
import { presentUsers, userFieldFilters } from './present-user.ts';
import { requestKey, type ReadCache } from './read-cache.ts';
import { errorResponses, IgnoredUserKeys, MaybePaginated, NoContent, PaginationQuery, UserModel } from './schemas.ts';

const tags = ['users'];
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

/**
 * A reply serializer for answers built as exact schema models: JSON.stringify, once. The read cache hands
 * fastify the serialized body, which the reply's serializer would otherwise be given again.
 */
function stringifyOnce(payload: unknown): string {
  return typeof payload === 'string' ? payload : JSON.stringify(payload);
}

/** `?include_stopped_servers` alone means true; only 0/false turn it off. */
export function flagArg(value: string | undefined): boolean {
  return value !== undefined && !['0', 'false'].includes(value.toLowerCase());
}

export function registerUserRoutes(app: HubServer, ctx: HubContext, prefix: string, reads: ReadCache): void {
  const base = ctx.baseUrl;
  const present = async (req: Parameters<typeof need>[1], rows: ListedUser[], includeStoppedServers = false) => {
    const facts = await loadUserFacts(
      ctx.k,
      rows.map((r) => r.id),
      { includeStoppedServers },
    );
    return presentUsers(rows, facts, userFieldFilters(req.principal!), {
      baseUrl: base,
      publicUrl: ctx.config.public_url,
    });
  };

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
        // The models hold exactly the schema's keys in its order: JSON.stringify writes the same bytes as
        // the schema's serializer, without its union check of every user and its string concatenation.
        reply.serializer(stringifyOnce);
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
      need(ctx, req, ['admin:users']);
      const { usernames = [], admin = false } = req.body ?? {};
      const created = await createUsers(ctx, callerOf(req), { names: usernames, admin });
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
      if (model && 'auth_state' in model) model.auth_state = await loadAuthState(ctx, user);
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
      await needUserName(ctx, req, ['admin:users'], name);
      const row = await createUser(ctx, callerOf(req), { name, admin: req.body?.admin ?? false });
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
      await needUserName(ctx, req, ['admin:users'], req.params.name);
      const changes = req.body as UserChanges;
      const updated = await modifyUser(ctx, callerOf(req), { name: req.params.name, changes });
      const [model] = await present(req, [updated]);
      return { ...model, auth_state: await loadAuthState(ctx, updated) };
    },
  );

  app.delete(
    `${prefix}/users/:name`,
    {
      schema: { tags, summary: 'Delete a user', params: UserName, response: { 204: NoContent, ...errorResponses } },
    },
    async (req, reply) => {
      const { user } = await needUser(ctx, req, ['delete:users'], req.params.name);
      await deleteUser(ctx, callerOf(req), { name: user.name });
      return reply.code(204).send();
    },
  );
}
