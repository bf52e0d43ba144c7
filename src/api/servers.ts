import { PassThrough } from 'node:stream';
import { Type } from 'typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { callerOf } from '../commands/deps.ts';
import { removeServer, startServer, stopServer } from '../commands/servers/index.ts';
import type { HubContext } from '../context.ts';
import type { HubServer } from '../http/server.ts';
import { invalidRequest, notFound } from '../errors/index.ts';
import { findSpawner } from '../repo/spawners.ts';
import { serverLogName } from '../servers/names.ts';
import { needServer } from './access.ts';
import { registerServerRecordRoutes, splitServerBody } from './server-records.ts';
import { errorResponses } from './schemas.ts';

const tags = ['servers'];
const START_SCOPES = ['servers', 'start:servers'];
const STOP_SCOPES = ['servers', 'delete:servers'];
const Options = Type.Optional(
  Type.Union([
    Type.Null(),
    Type.Object({}, { additionalProperties: true, description: 'user_options, or {display_name, user_options}' }),
  ]),
);
const Empty = Type.Null({ description: 'No content' });
const KEEPALIVE_MS = 8000;

type ServerParams = { name: string; server_name?: string };

function serverNameOf(params: ServerParams): string {
  return params.server_name ?? '';
}

export function registerServerRoutes(app: HubServer, ctx: HubContext, prefix: string): void {
  const start = async (
    req: FastifyRequest<{ Params: ServerParams; Body: Record<string, unknown> | null | undefined }>,
    reply: FastifyReply,
  ) => {
    const server = serverNameOf(req.params);
    const { user } = await needServer(ctx, req, START_SCOPES, req.params.name, server);
    const { userOptions, displayName } = splitServerBody(req.body);
    const outcome = await startServer(ctx, callerOf(req), { user, server, userOptions, displayName });
    return reply
      .code(outcome === 'ready' ? 201 : 202)
      .type('text/plain')
      .send();
  };

  const stop = async (
    req: FastifyRequest<{ Params: ServerParams; Body: { remove?: boolean } | null | undefined }>,
    reply: FastifyReply,
  ) => {
    const server = serverNameOf(req.params);
    const { user } = await needServer(ctx, req, STOP_SCOPES, req.params.name, server);
    const command = req.body?.remove ? removeServer : stopServer;
    const outcome = await command(ctx, callerOf(req), { user, server });
    return reply
      .code(outcome === 'stopped' ? 204 : 202)
      .type('text/plain')
      .send();
  };

  const progress = async (req: FastifyRequest<{ Params: ServerParams }>, reply: FastifyReply) => {
    const server = serverNameOf(req.params);
    const { user } = await needServer(ctx, req, ['read:servers'], req.params.name, server);
    const row = await findSpawner(ctx.k, user.id, server);
    const log = ctx.servers.progressOf(user.id, server);
    if (!row || !log) throw notFound(`No active server ${serverLogName(user.name, server)}`);
    const pending = ctx.servers.pendingOf(user.id, server);
    if (!log.done && pending !== 'spawn')
      throw invalidRequest(`Server ${serverLogName(user.name, server)} is not pending`);
    // Streamed through the reply (not hijacked), so the headers set on it so far (security headers,
    // RateLimit) are sent with the stream too.
    const stream = new PassThrough();
    const abort = new AbortController();
    reply.raw.on('close', () => abort.abort());
    const keepalive = setInterval(() => stream.write('\n\n'), KEEPALIVE_MS);
    void (async () => {
      try {
        // An already finished start answers with its final event only, as upstream does for ready servers.
        const events = log.done ? [log.events[log.events.length - 1]!] : log.follow(abort.signal);
        for await (const e of events) {
          if (abort.signal.aborted) break;
          stream.write(`data: ${JSON.stringify(e)}\n\n`);
        }
      } finally {
        clearInterval(keepalive);
        stream.end();
      }
    })();
    return reply
      .type('text/event-stream')
      .header('Cache-Control', 'no-cache')
      .header('X-Accel-Buffering', 'no')
      .send(stream);
  };

  const Params = Type.Object({ name: Type.String() });
  const NamedParams = Type.Object({ name: Type.String(), server_name: Type.String() });
  const startSchema = (params: typeof Params | typeof NamedParams, summary: string) => ({
    tags,
    summary,
    params,
    body: Options,
    response: { 201: Empty, 202: Empty, 429: errorResponses[403], ...errorResponses },
  });
  const stopSchema = (params: typeof Params | typeof NamedParams, summary: string) => ({
    tags,
    summary,
    params,
    body: Type.Optional(
      Type.Union([
        Type.Null(),
        Type.Object({ remove: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
      ]),
    ),
    response: { 202: Empty, 204: Empty, ...errorResponses },
  });
  const progressSchema = (params: typeof Params | typeof NamedParams) => ({
    tags,
    summary: 'Spawn progress as a text/event-stream',
    params,
    response: {
      200: Type.String({
        description: 'text/event-stream of `data: {progress, message, ready?, failed?, url?}` lines',
      }),
      ...errorResponses,
    },
  });

  app.post(
    `${prefix}/users/:name/server`,
    { config: { rateLimit: 'spawn' }, schema: startSchema(Params, "Start the user's default server") },
    start as never,
  );
  app.post(
    `${prefix}/users/:name/servers/:server_name`,
    { config: { rateLimit: 'spawn' }, schema: startSchema(NamedParams, 'Start a named server') },
    start as never,
  );
  app.delete(
    `${prefix}/users/:name/server`,
    { schema: stopSchema(Params, "Stop the user's default server") },
    stop as never,
  );
  app.delete(
    `${prefix}/users/:name/servers/:server_name`,
    { schema: stopSchema(NamedParams, 'Stop (and optionally remove) a named server') },
    stop as never,
  );
  // Upstream's admin page names the default server with an empty name: /servers/ (a trailing slash).
  app.post(
    `${prefix}/users/:name/servers`,
    {
      config: { rateLimit: 'spawn' },
      schema: startSchema(Params, "Start the default server by the empty name ('/servers/')"),
    },
    start as never,
  );
  app.delete(
    `${prefix}/users/:name/servers`,
    { schema: stopSchema(Params, "Stop the default server by the empty name ('/servers/')") },
    stop as never,
  );
  app.get(`${prefix}/users/:name/server/progress`, { schema: progressSchema(Params) }, progress as never);
  app.get(
    `${prefix}/users/:name/servers/:server_name/progress`,
    { schema: progressSchema(NamedParams) },
    progress as never,
  );
  registerServerRecordRoutes(app, ctx, prefix);
}
