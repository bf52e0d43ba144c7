import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { principalForUser } from '../auth/session.ts';
import type { HubContext } from '../context.ts';
import type { UserRow } from '../db/index.ts';
import { HubError } from '../lib/errors.ts';
import { checkAccess } from '../rbac/index.ts';
import { allGroupNamesByUser } from '../repo/groups.ts';
import { countNamedSpawners, findSpawner } from '../repo/spawners.ts';
import { findUser } from '../repo/users.ts';
import { isValidServerName, serverLogName } from '../servers/names.ts';
import { hubServerPage, loginRedirect, pageData, pageSession, serverState, serverUrl, type PageSession } from './common.ts';
import { errorPage, html, page, sendPage, type Raw } from './html.ts';
import { safeNextUrl } from './next-url.ts';

type Params = { name?: string; server?: string };

/** How long GET /hub/spawn waits for a start to fail outright before sending the browser to the progress page. */
const IMMEDIATE_FAILURE_MS = 1000;

interface Target {
  s: PageSession;
  user: UserRow;
  server: string;
}

/**
 * The user and server a spawn page is about, if the signed-in user may act on it (the `servers`
 * scope, filtered to that server, as upstream's needs_scope("servers")). Replies (login redirect or
 * error page) and returns null otherwise.
 */
async function target(ctx: HubContext, req: FastifyRequest<{ Params: Params }>, reply: FastifyReply): Promise<Target | null> {
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
  const access = user ? checkAccess(p.scopes, ['servers'], { kind: 'server', user: name, server, groups }) : 'not_found';
  if (access !== 'ok' || !user) {
    const status = access === 'forbidden' ? 403 : 404;
    errorPage(reply, ctx.baseUrl, status, status === 403 ? 'Forbidden' : 'Not Found', status === 403 ? 'You may not start or watch servers.' : `No server ${name}${server ? `/${server}` : ''} that you may access.`, s.user.name);
    return null;
  }
  if (server && !ctx.config.allow_named_servers) {
    errorPage(reply, ctx.baseUrl, 400, 'Bad Request', 'Named servers are not enabled.', s.user.name);
    return null;
  }
  return { s, user, server };
}

function nextOf(ctx: HubContext, req: FastifyRequest): string | null {
  return safeNextUrl((req.query as Record<string, unknown>).next, ctx.baseUrl, req);
}

function withNext(url: string, next: string | null): string {
  return next ? `${url}?next=${encodeURIComponent(next)}` : url;
}

/** The page shown for a stopped server: where it would be, and a link that starts it. */
export function notRunningPage(ctx: HubContext, reply: FastifyReply, viewer: string, user: string, server: string, status: number, opts: { next?: string | null; failure?: string } = {}): FastifyReply {
  const url = serverUrl(ctx.baseUrl, user, server);
  const spawn = withNext(hubServerPage(ctx.baseUrl, 'spawn', user, server), opts.next ?? null);
  const whose = user === viewer ? 'Your server' : `The server of ${user}`;
  const body = html`
<h1>Server not running</h1>
${opts.failure ? html`<p class="error" role="alert">The last start failed: ${opts.failure}</p>` : ''}
<p>${whose} at <code>${url}</code> is not running.</p>
<p><a class="button" id="start" href="${spawn}">${opts.failure ? 'Try again' : 'Launch server'}</a>
   <a class="button secondary" href="${ctx.baseUrl}hub/home">Home</a></p>`;
  return sendPage(reply, status, page({ title: 'Server not running', baseUrl: ctx.baseUrl, user: viewer, body }));
}

// Follows the spawn's event stream (the progress API, which needs the XSRF token like any
// cookie-authenticated fetch), then goes to the server, or shows why it failed.
const PROGRESS_SCRIPT = `
(function () {
  var d = window.jhdata;
  var bar = document.getElementById('progress-bar');
  var message = document.getElementById('progress-message');
  var log = document.getElementById('progress-log');
  var failure = document.getElementById('failure');
  var es = new EventSource(d.progress_url);
  es.onmessage = function (e) {
    var ev;
    try { ev = JSON.parse(e.data); } catch (err) { return; }
    if (typeof ev.progress === 'number') { bar.value = ev.progress; bar.textContent = ev.progress + '%'; }
    if (ev.message) {
      message.textContent = ev.message;
      var li = document.createElement('li');
      li.textContent = ev.message;
      log.appendChild(li);
    }
    if (ev.ready) {
      es.close();
      window.location.href = d.next_url || ev.url;
    } else if (ev.failed) {
      es.close();
      failure.hidden = false;
      document.getElementById('failure-message').textContent = ev.message || 'Spawn failed';
      failure.focus();
    }
  };
  es.onerror = function () {
    if (es.readyState === EventSource.CLOSED) {
      message.textContent = 'Lost track of the server\\u2019s progress.';
      document.getElementById('reload').hidden = false;
    }
  };
})();
`;

function progressPage(ctx: HubContext, req: FastifyRequest, reply: FastifyReply, t: Target, next: string | null): FastifyReply {
  const { s, user, server } = t;
  const api = `${ctx.baseUrl}hub/api/users/${encodeURIComponent(user.name)}/${server ? `servers/${encodeURIComponent(server)}` : 'server'}/progress`;
  const jhdata = { ...pageData(ctx, req, reply, s), progress_url: `${api}?_xsrf=${encodeURIComponent(s.xsrf)}`, next_url: next };
  const url = serverUrl(ctx.baseUrl, user.name, server);
  const body: Raw = html`
<h1>Starting ${user.name === s.user.name ? 'your server' : `the server of ${user.name}`}</h1>
<p>The server will be at <code>${url}</code>; this page takes you there once it is ready.</p>
<label for="progress-bar">Progress</label>
<progress id="progress-bar" max="100" value="0">0%</progress>
<p id="progress-message" role="status" aria-live="polite">Waiting for the server to start…</p>
<details><summary>Event log</summary><ol id="progress-log" class="log"></ol></details>
<div id="failure" class="error" role="alert" tabindex="-1" hidden>
  <p>The server could not start: <span id="failure-message"></span></p>
  <p><a href="${hubServerPage(ctx.baseUrl, 'spawn', user.name, server)}">Try again</a> · <a href="${ctx.baseUrl}hub/home">Home</a></p>
</div>
<p id="reload" hidden><a href="">Reload this page</a></p>`;
  return sendPage(reply, 200, page({ title: 'Server starting', baseUrl: ctx.baseUrl, user: s.user.name, jhdata, body, script: PROGRESS_SCRIPT }));
}

function lastFailure(ctx: HubContext, user: UserRow, server: string): string | undefined {
  const e = ctx.servers?.progressOf(user.id, server)?.events.at(-1);
  return e?.failed ? e.message : undefined;
}

export function registerSpawnPages(app: FastifyInstance<any, any, any, any, any>, ctx: HubContext): void {
  const base = ctx.baseUrl;
  const hide = { schema: { hide: true } };

  const spawn = async (req: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    const t = await target(ctx, req, reply);
    if (!t) return reply;
    const { s, user, server } = t;
    const next = nextOf(ctx, req);
    const pending = withNext(hubServerPage(base, 'spawn-pending', user.name, server), next);
    const state = await serverState(ctx, user, server);
    if (state === 'ready') return reply.redirect(next ?? serverUrl(base, user.name, server), 302);
    if (state === 'pending') return reply.redirect(pending, 302);
    if (server && !(await findSpawner(ctx.k, user.id, server))) {
      const limit = ctx.config.named_server_limit_per_user;
      if (!isValidServerName(server)) return errorPage(reply, base, 400, 'Bad Request', `Invalid server name: '${server}'`, s.user.name);
      if (limit > 0 && (await countNamedSpawners(ctx.k, user.id)) >= limit) {
        return errorPage(reply, base, 400, 'Bad Request', `${user.name} already has the maximum of ${limit} named servers. One must be deleted before a new server can be created.`, s.user.name);
      }
    }
    req.log.info({ actor: s.user.name, server: serverLogName(user.name, server) }, 'server start requested from the spawn page');
    const started = ctx.servers.spawn(user, server, { userOptions: null });
    // A late failure is shown by the progress page; only one within the first second is reported here.
    started.catch(() => {});
    const early = await Promise.race([
      started.then(() => null, (err: unknown) => err),
      new Promise<null>((r) => setTimeout(() => r(null), IMMEDIATE_FAILURE_MS).unref()),
    ]);
    if (early) {
      const status = early instanceof HubError ? early.status : 500;
      const message = early instanceof HubError ? early.message : 'The server could not be started.';
      if (early instanceof HubError) for (const [k, v] of Object.entries(early.headers)) reply.header(k, v);
      return errorPage(reply, base, status, status === 429 ? 'Too Many Requests' : status === 400 ? 'Bad Request' : 'Spawn failed', message, s.user.name);
    }
    return reply.redirect(pending, 302);
  };
  app.get(`${base}hub/spawn`, hide, spawn);
  app.get(`${base}hub/spawn/:name`, hide, spawn);
  app.get(`${base}hub/spawn/:name/:server`, hide, spawn);

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
    if (state === 'failed') return notRunningPage(ctx, reply, s.user.name, user.name, server, 500, { next, failure: lastFailure(ctx, user, server) });
    if (state === 'stopped') return notRunningPage(ctx, reply, s.user.name, user.name, server, 200, { next });
    const row = await findSpawner(ctx.k, user.id, server);
    if (row?.pending === 'stop') {
      const body = html`<h1>Server stopping</h1><p role="status">The server is stopping. <a href="">Reload</a> to see when it has stopped.</p><p><a href="${base}hub/home">Home</a></p>`;
      return sendPage(reply, 200, page({ title: 'Server stopping', baseUrl: base, user: s.user.name, body }));
    }
    return progressPage(ctx, req, reply, t, next);
  };
  app.get(`${base}hub/spawn-pending/:name`, hide, pendingPage);
  app.get(`${base}hub/spawn-pending/:name/:server`, hide, pendingPage);
}
