import { Type } from 'typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../auth/principal.ts';
import { callerOf } from '../commands/deps.ts';
import { createServer, modifyServer } from '../commands/servers/index.ts';
import type { HubContext } from '../context.ts';
import type { SpawnerRow } from '../db/index.ts';
import { invalidRequest, notFound } from '../errors/index.ts';
import type { HubServer } from '../http/server.ts';
import { filterAllowsUser, scopeFilter } from '../rbac/index.ts';
import { allGroupNamesByUser } from '../repo/groups.ts';
import { findSpawner } from '../repo/spawners.ts';
import { needServer } from './access.ts';
import { presentServer } from './present-server.ts';
import { errorResponses, ServerModel } from './schemas.ts';

// JupyterHub 6's server records: read one server, create a named one without starting it, rename it or
// change its display name and stored options while it is stopped.

const tags = ['servers'];
const READ_SCOPES = ['servers', 'read:servers'];
const WRITE_SCOPES = ['servers', 'start:servers'];

type Params = { name: string; server_name?: string };
type Body = Record<string, unknown> | null | undefined;

const AnyObject = Type.Object({}, { additionalProperties: true });
const CreateBody = Type.Optional(
  Type.Union([
    Type.Null(),
    Type.Object({}, { additionalProperties: true, description: '{display_name, user_options}, or user_options' }),
  ]),
);
const ModifyBody = Type.Object(
  {
    name: Type.Optional(Type.String({ description: 'Rename the server to this.' })),
    display_name: Type.Optional(Type.String({ description: 'The name shown for the server in pages.' })),
    user_options: Type.Optional(AnyObject),
  },
  { additionalProperties: false },
);

/** The default server is always there to read, as a stopped one until it has a record. */
function blankDefaultServer(userId: number): SpawnerRow {
  return {
    id: 0,
    user_id: userId,
    name: '',
    display_name: null,
    state: '{}',
    started: null,
    last_activity: null,
    user_options: '{}',
    server_url: null,
    pending: null,
    oauth_client_id: null,
  };
}

/** Whether the caller sees the stored spawner state (admin:server_state on the owner). */
async function showsState(ctx: HubContext, p: Principal, user: string): Promise<boolean> {
  const f = scopeFilter(p.scopes, 'admin:server_state');
  if (!f) return false;
  return f.all || filterAllowsUser(f, user, await allGroupNamesByUser(ctx.k, user));
}

export function registerServerRecordRoutes(app: HubServer, ctx: HubContext, prefix: string): void {
  const present = async (p: Principal, user: string, row: SpawnerRow) =>
    presentServer(ctx.baseUrl, user, row, await showsState(ctx, p, user));

  const get = async (req: FastifyRequest<{ Params: Params }>) => {
    const server = req.params.server_name ?? '';
    const { p, user } = await needServer(ctx, req, READ_SCOPES, req.params.name, server);
    const row = (await findSpawner(ctx.k, user.id, server)) ?? (server ? null : blankDefaultServer(user.id));
    if (!row) throw notFound(`User ${user.name} has no such server ${server}`);
    return present(p, user.name, row);
  };

  const put = async (req: FastifyRequest<{ Params: Params; Body: Body }>, reply: FastifyReply) => {
    const server = req.params.server_name ?? '';
    const { p, user } = await needServer(ctx, req, WRITE_SCOPES, req.params.name, server);
    const { userOptions, displayName } = splitServerBody(req.body);
    const row = await createServer(ctx, callerOf(req), { user, server, displayName, userOptions });
    return reply.code(201).send(await present(p, user.name, row));
  };

  const patch = async (
    req: FastifyRequest<{
      Params: Params;
      Body: { name?: string; display_name?: string; user_options?: Record<string, unknown> };
    }>,
  ) => {
    const server = req.params.server_name ?? '';
    const { p, user } = await needServer(ctx, req, WRITE_SCOPES, req.params.name, server);
    const { name, display_name: displayName, user_options: userOptions } = req.body;
    const row = await modifyServer(ctx, callerOf(req), { user, server, name, displayName, userOptions });
    return present(p, user.name, row);
  };

  const Named = Type.Object({ name: Type.String(), server_name: Type.String() });
  const Default = Type.Object({ name: Type.String() });
  const response = (ok: 200 | 201) => ({ [ok]: ServerModel, ...errorResponses });
  for (const [path, params, which] of [
    [`${prefix}/users/:name/servers/:server_name`, Named, 'a server by name'],
    // Upstream's admin page names the default server with an empty name: /servers/ (a trailing slash).
    [`${prefix}/users/:name/servers`, Default, "the default server, by the empty name ('/servers/')"],
    [`${prefix}/users/:name/server`, Default, "the user's default server"],
  ] as const) {
    app.get(path, { schema: { tags, summary: `Get ${which}`, params, response: response(200) } }, get as never);
    app.put(
      path,
      {
        schema: {
          tags,
          summary: `Create ${which} without starting it (409 if it exists)`,
          params,
          body: CreateBody,
          response: response(201),
        },
      },
      put as never,
    );
    app.patch(
      path,
      {
        schema: {
          tags,
          summary: `Rename ${which}, or set its display_name or user_options (it must be stopped)`,
          params,
          body: ModifyBody,
          response: response(200),
        },
      },
      patch as never,
    );
  }
}

/** JupyterHub 6's body split, which 5.x clients never trigger: otherwise the whole body is user_options. */
export function splitServerBody(body: Body): {
  userOptions: Record<string, unknown> | null;
  displayName: string | null;
} {
  if (body == null) return { userOptions: null, displayName: null };
  const keys = Object.keys(body);
  if (keys.length > 0 && keys.every((k) => k === 'user_options' || k === 'display_name')) {
    const uo = body.user_options;
    if (uo !== undefined && uo !== null && (typeof uo !== 'object' || Array.isArray(uo)))
      throw invalidRequest('user_options must be an object or null');
    const dn = body.display_name;
    if (dn !== undefined && typeof dn !== 'string') throw invalidRequest('display_name must be a string');
    return {
      userOptions: (uo as Record<string, unknown> | null | undefined) ?? null,
      displayName: (dn as string | undefined) ?? null,
    };
  }
  return { userOptions: body, displayName: null };
}
