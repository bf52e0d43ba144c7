import { Type } from 'typebox';
import { originOf } from '../audit/index.ts';
import type { Kysely } from 'kysely';
import type { Principal } from '../auth/principal.ts';
import { normalizeUsername, validateUsername } from '../auth/usernames.ts';
import type { HubContext } from '../context.ts';
import type { Database, GroupRow } from '../db/index.ts';
import type { HubServer } from '../http/server.ts';
import { parseJson } from '../lib/json.ts';
import { invalidRequest, alreadyExists, HubError } from '../errors/index.ts';
import { filterAllowsGroup, scopeFilter } from '../rbac/index.ts';
import {
  addMembers,
  deleteGroup,
  findGroup,
  insertGroup,
  listGroups,
  membersOfGroups,
  removeMembers,
  rolesOfGroups,
  setGroupProperties,
} from '../repo/groups.ts';
import { need, needGroup, needGroupName, scopesFirst } from './access.ts';
import { pageOf, paginated } from './pagination.ts';
import { errorResponses, GroupModel, IgnoredGroupKeys, MaybePaginated, NoContent, PaginationQuery } from './schemas.ts';

const tags = ['groups'];
const GroupName = Type.Object({ name: Type.String() });
const Users = Type.Array(Type.String());

const FIELDS: Record<string, string[]> = {
  'read:groups': ['users', 'properties'],
  'read:groups:name': [],
  'read:roles:groups': ['roles'],
};

async function presentGroups(db: Kysely<Database>, rows: GroupRow[], p: Principal) {
  const ids = rows.map((g) => g.id);
  const [members, roles] = await Promise.all([membersOfGroups(db, ids), rolesOfGroups(db, ids)]);
  const filters = Object.keys(FIELDS).map((s) => [s, scopeFilter(p.scopes, s)] as const);
  return rows.map((g) => {
    const model: Record<string, unknown> = {
      kind: 'group',
      name: g.name,
      users: members.get(g.id) ?? [],
      properties: parseJson<Record<string, unknown>>(g.properties, {}),
      roles: roles.get(g.id) ?? [],
    };
    const keep = new Set(['kind', 'name']);
    for (const [scope, f] of filters)
      if (f && filterAllowsGroup(f, g.name)) for (const k of FIELDS[scope]!) keep.add(k);
    return Object.fromEntries(Object.entries(model).filter(([k]) => keep.has(k)));
  });
}

/** Resolves user names to ids, or 400 naming the first unknown one; nothing is written before this passes. */
async function userIds(db: Kysely<Database>, names: string[]): Promise<number[]> {
  const ids: number[] = [];
  // Member names are normalized the way usernames are, as upstream does.
  for (const name of new Set(names.map(normalizeUsername))) {
    // A name no user can have (e.g. with a NUL, which PostgreSQL refuses as a parameter) is not looked up.
    if (!validateUsername(name, null)) throw invalidRequest(`No such user: ${name}`);
    const row = await db.selectFrom('users').select('id').where('name', '=', name).executeTakeFirst();
    if (!row) throw invalidRequest(`No such user: ${name}`);
    ids.push(row.id);
  }
  return ids;
}

function checkGroupName(name: string): void {
  if (!validateUsername(name, null)) throw invalidRequest(`Invalid group name: ${JSON.stringify(name)}`);
}

export function registerGroupRoutes(app: HubServer, ctx: HubContext, prefix: string): void {
  const one = async (p: Principal, name: string) =>
    (await presentGroups(ctx.k, [(await findGroup(ctx.k, name))!], p))[0];

  app.get(
    `${prefix}/groups`,
    {
      schema: {
        tags,
        summary: 'List groups',
        querystring: Type.Object(PaginationQuery),
        response: { 200: MaybePaginated(GroupModel), ...errorResponses },
      },
    },
    async (req) => {
      const p = need(ctx, req, ['list:groups']);
      const page = pageOf(req, ctx.config, req.query);
      const f = scopeFilter(p.scopes, 'list:groups')!;
      // Only !group= filters can restrict a group listing; upstream refuses the others.
      if (!f.all && (f.users.size || f.servers.size || f.services.size))
        throw new HubError(403, 'list:groups can only be filtered by group', 'insufficient_scope');
      const { rows, total } = await listGroups(ctx.k, page, f.all ? null : f.groups);
      const items = await presentGroups(ctx.k, rows, p);
      return page.paginated ? paginated(req, page, items, total) : items;
    },
  );

  app.post(
    `${prefix}/groups`,
    {
      preParsing: scopesFirst(ctx, ['admin:groups']),
      schema: {
        tags,
        summary: 'Create several groups',
        body: Type.Object(
          { groups: Type.Array(Type.String(), { minItems: 1 }), users: Type.Optional(Users), ...IgnoredGroupKeys },
          { additionalProperties: false },
        ),
        response: { 201: Type.Array(GroupModel), ...errorResponses },
      },
    },
    async (req, reply) => {
      const p = need(ctx, req, ['admin:groups']);
      const names = [...new Set(req.body.groups)];
      names.forEach(checkGroupName);
      for (const name of names) if (await findGroup(ctx.k, name)) throw alreadyExists(`Group ${name} already exists`);
      const members = await userIds(ctx.k, req.body.users ?? []);
      const rows = await ctx.k.transaction().execute(async (trx) => {
        const created = [];
        for (const name of names) {
          const g = await insertGroup(trx, name);
          await addMembers(trx, g.id, members);
          created.push(g);
        }
        return created;
      });
      ctx.permissions.invalidate();
      req.log.info({ actor: p.name, groups: names }, 'created groups');
      for (const name of names)
        ctx.audit.record({
          ...originOf(req),
          action: 'group.create',
          target: { kind: 'group', name },
          reason: membersReason(req.body.users),
        });
      reply.code(201);
      return presentGroups(ctx.k, rows, p);
    },
  );

  app.get(
    `${prefix}/groups/:name`,
    {
      schema: { tags, summary: 'Get a group', params: GroupName, response: { 200: GroupModel, ...errorResponses } },
    },
    async (req) => {
      const { p, group } = await needGroup(
        ctx,
        req,
        ['read:groups', 'read:groups:name', 'read:roles:groups'],
        req.params.name,
      );
      return (await presentGroups(ctx.k, [group], p))[0];
    },
  );

  app.post(
    `${prefix}/groups/:name`,
    {
      preParsing: scopesFirst(ctx, ['admin:groups']),
      schema: {
        tags,
        summary: 'Create a group',
        params: GroupName,
        body: Type.Optional(
          Type.Union([
            Type.Object({ users: Type.Optional(Users), ...IgnoredGroupKeys }, { additionalProperties: false }),
            Type.Null(),
          ]),
        ),
        response: { 201: GroupModel, ...errorResponses },
      },
    },
    async (req, reply) => {
      const name = req.params.name;
      // A filtered admin:groups (!group=<name>) may create only the groups it names, as upstream.
      const p = needGroupName(ctx, req, ['admin:groups'], name);
      checkGroupName(name);
      if (await findGroup(ctx.k, name)) throw alreadyExists(`Group ${name} already exists`);
      const members = await userIds(ctx.k, req.body?.users ?? []);
      await ctx.k.transaction().execute(async (trx) => {
        const g = await insertGroup(trx, name);
        await addMembers(trx, g.id, members);
      });
      ctx.permissions.invalidate();
      req.log.info({ actor: p.name, group: name }, 'created group');
      ctx.audit.record({
        ...originOf(req),
        action: 'group.create',
        target: { kind: 'group', name },
        reason: membersReason(req.body?.users),
      });
      reply.code(201);
      return one(p, name);
    },
  );

  app.delete(
    `${prefix}/groups/:name`,
    {
      schema: { tags, summary: 'Delete a group', params: GroupName, response: { 204: NoContent, ...errorResponses } },
    },
    async (req, reply) => {
      const { p, group } = await needGroup(ctx, req, ['delete:groups'], req.params.name);
      await deleteGroup(ctx.k, group.id);
      ctx.permissions.invalidate();
      req.log.info({ actor: p.name, group: group.name }, 'deleted group');
      ctx.audit.record({ ...originOf(req), action: 'group.delete', target: { kind: 'group', name: group.name } });
      return reply.code(204).send();
    },
  );

  for (const method of ['post', 'delete'] as const) {
    app[method](
      `${prefix}/groups/:name/users`,
      {
        preParsing: scopesFirst(ctx, ['groups']),
        schema: {
          tags,
          summary: method === 'post' ? 'Add users to a group' : 'Remove users from a group',
          params: GroupName,
          body: Type.Object({ users: Users, ...IgnoredGroupKeys }, { additionalProperties: false }),
          response: { 200: GroupModel, ...errorResponses },
        },
      },
      async (req) => {
        const { p, group } = await needGroup(ctx, req, ['groups'], req.params.name);
        const ids = await userIds(ctx.k, req.body.users);
        if (method === 'post') await addMembers(ctx.k, group.id, ids);
        else await removeMembers(ctx.k, group.id, ids);
        ctx.permissions.invalidate();
        req.log.info(
          { actor: p.name, group: group.name, users: req.body.users },
          method === 'post' ? 'added group members' : 'removed group members',
        );
        ctx.audit.record({
          ...originOf(req),
          action: method === 'post' ? 'group.add_members' : 'group.remove_members',
          target: { kind: 'group', name: group.name },
          reason: membersReason(req.body.users),
        });
        return one(p, group.name);
      },
    );
  }

  app.put(
    `${prefix}/groups/:name/properties`,
    {
      preParsing: scopesFirst(ctx, ['groups']),
      schema: {
        tags,
        summary: 'Replace the properties of a group',
        params: GroupName,
        body: Type.Object({}, { additionalProperties: true }),
        response: { 200: GroupModel, ...errorResponses },
      },
    },
    async (req) => {
      const { p, group } = await needGroup(ctx, req, ['groups'], req.params.name);
      await setGroupProperties(ctx.k, group.id, req.body as Record<string, unknown>);
      req.log.info({ actor: p.name, group: group.name }, 'set group properties');
      ctx.audit.record({
        ...originOf(req),
        action: 'group.modify',
        target: { kind: 'group', name: group.name },
        reason: 'properties replaced',
      });
      return one(p, group.name);
    },
  );
}

function membersReason(users: string[] | undefined): string | null {
  return users?.length ? `users: ${users.join(', ')}` : null;
}
