import { Type } from 'typebox';
import type { Kysely } from 'kysely';
import type { Principal } from '../auth/principal.ts';
import { callerOf } from '../commands/deps.ts';
import { changeMembers, createGroups, deleteGroup, setProperties } from '../commands/groups/index.ts';
import type { HubContext } from '../context.ts';
import type { Database, GroupRow } from '../db/index.ts';
import type { HubServer } from '../http/server.ts';
import { parseJson } from '../lib/json.ts';
import { HubError } from '../errors/index.ts';
import { filterAllowsGroup, scopeFilter } from '../rbac/index.ts';
import { findGroup, listGroups, membersOfGroups, rolesOfGroups } from '../repo/groups.ts';
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

interface GroupFacts {
  members: Map<number, string[]>;
  roles: Map<number, string[]>;
}

/** Members and roles of a page of groups, in bulk, for `presentGroups`. */
async function loadGroupFacts(db: Kysely<Database>, rows: GroupRow[]): Promise<GroupFacts> {
  const ids = rows.map((g) => g.id);
  const [members, roles] = await Promise.all([membersOfGroups(db, ids), rolesOfGroups(db, ids)]);
  return { members, roles };
}

/** JupyterHub's Group model, cut to the keys the caller's scopes reveal for each group. */
function presentGroups(rows: GroupRow[], facts: GroupFacts, p: Principal): Record<string, unknown>[] {
  const filters = Object.keys(FIELDS).map((s) => [s, scopeFilter(p.scopes, s)] as const);
  return rows.map((g) => {
    const model: Record<string, unknown> = {
      kind: 'group',
      name: g.name,
      users: facts.members.get(g.id) ?? [],
      properties: parseJson<Record<string, unknown>>(g.properties, {}),
      roles: facts.roles.get(g.id) ?? [],
    };
    const keep = new Set(['kind', 'name']);
    for (const [scope, f] of filters)
      if (f && filterAllowsGroup(f, g.name)) for (const k of FIELDS[scope]!) keep.add(k);
    return Object.fromEntries(Object.entries(model).filter(([k]) => keep.has(k)));
  });
}

export function registerGroupRoutes(app: HubServer, ctx: HubContext, prefix: string): void {
  const present = async (p: Principal, rows: GroupRow[]) => presentGroups(rows, await loadGroupFacts(ctx.k, rows), p);
  const one = async (p: Principal, name: string) => (await present(p, [(await findGroup(ctx.k, name))!]))[0];

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
      const items = await present(p, rows);
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
      const rows = await createGroups(ctx, callerOf(req), { names: req.body.groups, users: req.body.users });
      reply.code(201);
      return present(p, rows);
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
      return (await present(p, [group]))[0];
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
      await createGroups(ctx, callerOf(req), { names: [name], users: req.body?.users });
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
      const { group } = await needGroup(ctx, req, ['delete:groups'], req.params.name);
      await deleteGroup(ctx, callerOf(req), { name: group.name });
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
        const change = method === 'post' ? 'add' : 'remove';
        await changeMembers(ctx, callerOf(req), { name: group.name, change, users: req.body.users });
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
      const properties = req.body as Record<string, unknown>;
      await setProperties(ctx, callerOf(req), { name: group.name, properties });
      return one(p, group.name);
    },
  );
}
