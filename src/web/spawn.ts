import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { principalForUser } from '../auth/session.ts';
import { sessionXsrfValid } from '../auth/xsrf.ts';
import { originOf, userActor } from '../audit/index.ts';
import type { Principal } from '../auth/principal.ts';
import { admitServerName, startServer } from '../commands/servers/index.ts';
import type { HubContext } from '../context.ts';
import type { UserRow } from '../db/index.ts';
import { HubError } from '../errors/index.ts';
import { checkAccess } from '../rbac/index.ts';
import { allGroupNamesByUser } from '../repo/groups.ts';
import { findSpawner } from '../repo/spawners.ts';
import { findUser } from '../repo/users.ts';
import { parseJson } from '../lib/json.ts';
import { formProfiles, hasOptionsForm, optionsFromForm } from '../spawners/profiles/index.ts';
import {
  hubServerPage,
  loginRedirect,
  pageContext,
  pageSession,
  serverState,
  serverUrl,
  type PageSession,
} from './common.ts';
import { type FormBody, field } from './forms.ts';
import { errorPage, raw, renderPage } from './html.ts';
import { safeNextUrl } from './next-url.ts';

type Params = { name?: string; server?: string };

/** How long GET /hub/spawn waits for a start to fail outright before sending the browser to the progress page. */
const IMMEDIATE_FAILURE_MS = 1000;

interface Target {
  s: PageSession;
  p: Principal;
  user: UserRow;
  server: string;
}

/** A refusal from the server commands, as a page with the same status and message the API sends. */
function refusalPage(reply: FastifyReply, baseUrl: string, err: HubError, viewer: string): FastifyReply {
  for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
  const title = err.status === 429 ? 'Too Many Requests' : err.status === 400 ? 'Bad Request' : 'Spawn failed';
  return errorPage(reply, baseUrl, err.status, title, err.message, viewer);
}

/**
 * The user and server a spawn page is about, if the signed-in user may act on it (the `servers`
 * scope, filtered to that server, as upstream's needs_scope("servers")). Replies (login redirect or
 * error page) and returns null otherwise.
 */
async function target(
  ctx: HubContext,
  req: FastifyRequest<{ Params: Params }>,
  reply: FastifyReply,
): Promise<Target | null> {
  const s = await pageSession(ctx, req);
  if (!s) {
    loginRedirect(ctx, req, reply);
    return null;
  }
  const name = req.params.name ?? s.user.name;
  const server = req.params.server ?? '';
  const user = name === s.user.name ? s.user : await findUser(ctx.k, name);
  const p = await principalForUser(ctx, s.user, s.sessionId);
  const groups = user ? await allGroupNamesByUser(ctx.k, name) : [];
  const access = user
    ? checkAccess(p.scopes, ['servers'], { kind: 'server', user: name, server, groups })
    : 'not_found';
  if (access !== 'ok' || !user) {
    const status = access === 'forbidden' ? 403 : 404;
    errorPage(
      reply,
      ctx.baseUrl,
      status,
      status === 403 ? 'Forbidden' : 'Not Found',
      status === 403
        ? 'You may not start or watch servers.'
        : `No server ${name}${server ? `/${server}` : ''} that you may access.`,
      s.user.name,
    );
    return null;
  }
  try {
    admitServerName(ctx.config, server);
  } catch (err) {
    if (!(err instanceof HubError)) throw err;
    refusalPage(reply, ctx.baseUrl, err, s.user.name);
    return null;
  }
  return { s, p, user, server };
}

function nextOf(ctx: HubContext, req: FastifyRequest): string | null {
  return safeNextUrl((req.query as Record<string, unknown>).next, ctx.baseUrl, req);
}

function withNext(url: string, next: string | null): string {
  return next ? `${url}?next=${encodeURIComponent(next)}` : url;
}

/** The page shown for a stopped server: where it would be, and a link that starts it (or starts it by itself). */
export function notRunningPage(
  ctx: HubContext,
  reply: FastifyReply,
  viewer: string,
  user: string,
  server: string,
  status: number,
  opts: { next?: string | null; failure?: string; implicitSpawn?: boolean } = {},
): FastifyReply {
  const url = serverUrl(ctx.baseUrl, user, server);
  const spawn = withNext(hubServerPage(ctx.baseUrl, 'spawn', user, server), opts.next ?? null);
  return renderPage(
    reply,
    status,
    'not_running.html',
    { baseUrl: ctx.baseUrl, user: viewer },
    {
      own: user === viewer,
      owner: user,
      server_url: url,
      spawn_url: spawn,
      failure: opts.failure ?? '',
      // A link to a stopped server starts it after implicit_spawn_seconds (never after a failure: that would loop).
      implicit_spawn_seconds: opts.implicitSpawn && !opts.failure ? ctx.config.implicit_spawn_seconds : 0,
    },
  );
}

async function progressPage(
  ctx: HubContext,
  req: FastifyRequest,
  reply: FastifyReply,
  t: Target,
  next: string | null,
): Promise<FastifyReply> {
  const { s, user, server } = t;
  const api = `${ctx.baseUrl}hub/api/users/${encodeURIComponent(user.name)}/${server ? `servers/${encodeURIComponent(server)}` : 'server'}/progress`;
  const pc = await pageContext(ctx, req, reply, s, 'spawn-pending', {
    progress_url: `${api}?_xsrf=${encodeURIComponent(s.xsrf)}`,
    // The Stop button cancels the start through the API (DELETE on the server), as upstream's page does.
    stop_url: api.slice(0, -'/progress'.length),
    next_url: next,
  });
  return renderPage(reply, 200, 'spawn_pending.html', pc, {
    own: user.name === s.user.name,
    owner: user.name,
    server_url: serverUrl(ctx.baseUrl, user.name, server),
    spawn_url: hubServerPage(ctx.baseUrl, 'spawn', user.name, server),
  });
}

function lastFailure(ctx: HubContext, user: UserRow, server: string): string | undefined {
  const e = ctx.servers?.progressOf(user.id, server)?.events.at(-1);
  return e?.failed ? e.message : undefined;
}

/** The options form (profiles, or the admin's options_form), with `selected` picked and an error above it. */
async function optionsPage(
  ctx: HubContext,
  req: FastifyRequest,
  reply: FastifyReply,
  t: Target,
  next: string | null,
  selected: Record<string, unknown>,
  error: string,
  status: number,
): Promise<FastifyReply> {
  const { s, user, server } = t;
  const spawner = ctx.config.spawner;
  const pc = await pageContext(ctx, req, reply, s, 'spawn');
  return renderPage(reply, status, 'spawn.html', pc, {
    action_url: withNext(hubServerPage(ctx.baseUrl, 'spawn', user.name, server), next),
    xsrf: s.xsrf,
    error,
    own: user.name === s.user.name,
    owner: user.name,
    profiles: formProfiles(spawner, selected),
    // The admin's own HTML, from the config file: shown as written.
    options_form: raw(spawner.options_form ?? ''),
  });
}

/**
 * Starts the server and sends the browser to the progress page; a refusal within the first second
 * (admission, invalid options, a start that fails at once) is answered by `refused` instead.
 */
async function launch(
  ctx: HubContext,
  req: FastifyRequest,
  reply: FastifyReply,
  t: Target,
  next: string | null,
  userOptions: Record<string, unknown> | null,
  refused: (err: HubError) => FastifyReply | Promise<FastifyReply>,
): Promise<FastifyReply> {
  const { s, p, user, server } = t;
  const caller = { origin: originOf(req, userActor(s.user.name)), principal: p };
  const started = startServer(ctx, caller, { user, server, userOptions });
  // A late failure is shown by the progress page; only one within the first second is reported here.
  started.catch(() => {});
  const early = await Promise.race([
    started.then(
      () => null,
      (err: unknown) => err,
    ),
    new Promise<null>((r) => setTimeout(() => r(null), IMMEDIATE_FAILURE_MS).unref()),
  ]);
  if (early instanceof HubError) return refused(early);
  if (early) return errorPage(reply, ctx.baseUrl, 500, 'Spawn failed', 'The server could not be started.', s.user.name);
  return reply.redirect(withNext(hubServerPage(ctx.baseUrl, 'spawn-pending', user.name, server), next), 302);
}

export function registerSpawnPages(app: FastifyInstance<any, any, any, any, any>, ctx: HubContext): void {
  const base = ctx.baseUrl;
  const hide = { schema: { hide: true } };

  /** Where the browser goes when the server is already up or starting; null when it may start. */
  const already = async (t: Target, next: string | null, reply: FastifyReply): Promise<FastifyReply | null> => {
    const { user, server } = t;
    const state = await serverState(ctx, user, server);
    if (state === 'ready') return reply.redirect(next ?? serverUrl(base, user.name, server), 302);
    if (state === 'pending')
      return reply.redirect(withNext(hubServerPage(base, 'spawn-pending', user.name, server), next), 302);
    return null;
  };

  /** Starts with the options form's fields; a refused option shows the form again with the message. */
  const submitted = (req: FastifyRequest, reply: FastifyReply, t: Target, next: string | null, form: FormBody) => {
    const userOptions = optionsFromForm(ctx.config.spawner, form);
    return launch(ctx, req, reply, t, next, userOptions, (err) =>
      err.status === 400
        ? optionsPage(ctx, req, reply, t, next, userOptions, err.message, 400)
        : refusalPage(reply, base, err, t.s.user.name),
    );
  };

  const spawn = async (req: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    const t = await target(ctx, req, reply);
    if (!t) return reply;
    const next = nextOf(ctx, req);
    const done = await already(t, next, reply);
    if (done) return done;
    if (hasOptionsForm(ctx.config.spawner)) {
      // Upstream's options_from_query: options in the query string start at once, as the form would.
      const { next: _, _xsrf, ...query } = req.query as FormBody;
      if (Object.keys(query).length > 0) return submitted(req, reply, t, next, query);
      const row = await findSpawner(ctx.k, t.user.id, t.server);
      return optionsPage(ctx, req, reply, t, next, parseJson(row?.user_options ?? null, {}), '', 200);
    }
    return launch(ctx, req, reply, t, next, null, (err) => refusalPage(reply, base, err, t.s.user.name));
  };

  /** The options form's answer (upstream's SpawnHandler.post): its fields become the start's user_options. */
  const submit = async (req: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    const t = await target(ctx, req, reply);
    if (!t) return reply;
    if (!sessionXsrfValid(ctx, t.s.user, t.s.sessionId, field(req.body, '_xsrf'))) {
      const message = 'The options form was not sent from this site (XSRF check failed). Please try again.';
      return errorPage(reply, base, 403, 'Forbidden', message, t.s.user.name);
    }
    const next = nextOf(ctx, req);
    const done = await already(t, next, reply);
    if (done) return done;
    return submitted(req, reply, t, next, (req.body ?? {}) as FormBody);
  };
  app.get(`${base}hub/spawn`, hide, spawn);
  app.get(`${base}hub/spawn/:name`, hide, spawn);
  app.get(`${base}hub/spawn/:name/:server`, hide, spawn);
  app.post(`${base}hub/spawn`, hide, submit);
  app.post(`${base}hub/spawn/:name`, hide, submit);
  app.post(`${base}hub/spawn/:name/:server`, hide, submit);

  const pendingPage = async (req: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    const t = await target(ctx, req, reply);
    if (!t) return reply;
    const { s, user, server } = t;
    const next = nextOf(ctx, req);
    if (server && !(await findSpawner(ctx.k, user.id, server))) {
      return errorPage(reply, base, 404, 'Not Found', `${user.name} has no server named ${server}.`, s.user.name);
    }
    const state = await serverState(ctx, user, server);
    if (state === 'ready') return reply.redirect(next ?? serverUrl(base, user.name, server), 302);
    if (state === 'failed')
      return notRunningPage(ctx, reply, s.user.name, user.name, server, 500, {
        next,
        failure: lastFailure(ctx, user, server),
      });
    if (state === 'stopped') return notRunningPage(ctx, reply, s.user.name, user.name, server, 200, { next });
    const row = await findSpawner(ctx.k, user.id, server);
    if (row?.pending === 'stop') {
      return renderPage(reply, 200, 'spawn_pending.html', await pageContext(ctx, req, reply, s, 'spawn-pending'), {
        stopping: true,
      });
    }
    return progressPage(ctx, req, reply, t, next);
  };
  app.get(`${base}hub/spawn-pending/:name`, hide, pendingPage);
  app.get(`${base}hub/spawn-pending/:name/:server`, hide, pendingPage);
}
