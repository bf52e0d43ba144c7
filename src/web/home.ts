import type { FastifyInstance } from 'fastify';
import { principalForUser } from '../auth/session.ts';
import type { HubContext } from '../context.ts';
import { checkAccess } from '../rbac/index.ts';
import { allGroupNamesByUser } from '../repo/groups.ts';
import { hubServerPage, loginRedirect, pageContext, pageSession, serverState, serverUrl } from './common.ts';
import { renderPage } from './html.ts';

const STATE_TEXT = {
  ready: 'Your server is running.',
  pending: 'Your server is starting or stopping.',
  failed: 'Your server failed to start.',
  stopped: 'Your server is not running.',
} as const;

const STATE_LABEL = {
  ready: 'Running',
  pending: 'Starting or stopping',
  failed: 'Failed to start',
  stopped: 'Stopped',
} as const;

/** Lifetimes offered for an invitation link (share code): upstream's bounds are a minute to a year. */
const CODE_LIFETIMES = [
  { seconds: 3600, label: '1 hour' },
  { seconds: 86400, label: '1 day', selected: true },
  { seconds: 7 * 86400, label: '7 days' },
  { seconds: 30 * 86400, label: '30 days' },
];

/**
 * Who is signed in, the default server's state with a start or stop button, and with named servers
 * allowed, a table of the user's named servers (state, address, last activity, actions) and a form to
 * create one. Each running server the user may share gets a Share control: share with a user or group,
 * make an invitation link (a share code, shown once), list and revoke its shares. The buttons call the
 * REST API (home.js).
 */
export function registerHomePage(app: FastifyInstance<any, any, any, any, any>, ctx: HubContext): void {
  const base = ctx.baseUrl;
  app.get(`${base}hub/home`, { schema: { hide: true } }, async (req, reply) => {
    const s = await pageSession(ctx, req);
    if (!s) return loginRedirect(ctx, req, reply);
    const state = await serverState(ctx, s.user, '');
    const url = serverUrl(base, s.user.name, '');
    const named = [];
    if (ctx.config.allow_named_servers) {
      const rows = await ctx.k
        .selectFrom('spawners')
        .selectAll()
        .where('user_id', '=', s.user.id)
        .where('name', '!=', '')
        .orderBy('name')
        .execute();
      for (const row of rows) {
        const st = await serverState(ctx, s.user, row.name);
        named.push({
          name: row.name,
          display_name: row.display_name ?? row.name,
          state: st,
          state_text: STATE_LABEL[st],
          url: serverUrl(base, s.user.name, row.name),
          last_activity: row.last_activity,
          pending_url: hubServerPage(base, 'spawn-pending', s.user.name, row.name),
        });
      }
    }
    const p = await principalForUser(ctx, s.user, s.sessionId);
    const groups = await allGroupNamesByUser(ctx.k, s.user.name);
    const running = [
      ...(state === 'ready' ? [{ name: '', label: 'Your server' }] : []),
      ...named.filter((n) => n.state === 'ready').map((n) => ({ name: n.name, label: `Server ${n.display_name}` })),
    ];
    const shareable = running.filter(
      (r) => checkAccess(p.scopes, ['shares'], { kind: 'server', user: s.user.name, server: r.name, groups }) === 'ok',
    );
    return renderPage(reply, 200, 'home.html', await pageContext(ctx, req, reply, s, 'home'), {
      shareable,
      code_lifetimes: CODE_LIFETIMES,
      state,
      state_text: STATE_TEXT[state],
      server_url: url,
      pending_url: hubServerPage(base, 'spawn-pending', s.user.name, ''),
      allow_named_servers: ctx.config.allow_named_servers,
      named_servers: named,
      named_server_limit: ctx.config.named_server_limit_per_user,
    });
  });
}
