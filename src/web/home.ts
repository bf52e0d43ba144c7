import type { FastifyInstance } from 'fastify';
import type { HubContext } from '../context.ts';
import { hubServerPage, loginRedirect, pageData, pageSession, serverState, serverUrl } from './common.ts';
import { html, page, sendPage } from './html.ts';

const STATE_TEXT = {
  ready: 'Your server is running.',
  pending: 'Your server is starting or stopping.',
  failed: 'Your server failed to start.',
  stopped: 'Your server is not running.',
} as const;

// Start and stop through the REST API with the session's XSRF token, as JupyterHub's home page does.
// The JSON content type matters: the API ignores the login cookie on POSTs of any other type.
const SCRIPT = `
(function () {
  var d = window.jhdata;
  var status = document.getElementById('server-status');
  var api = d.base_url + 'api/users/' + encodeURIComponent(d.user) + '/server';
  function call(method, button) {
    button.disabled = true;
    status.textContent = method === 'POST' ? 'Starting your server…' : 'Stopping your server…';
    return fetch(api, { method: method, headers: { 'X-XSRFToken': d.xsrf_token, 'Content-Type': 'application/json' }, credentials: 'same-origin' })
      .then(function (r) {
        if (r.ok) {
          if (method === 'POST') window.location.href = d.base_url + 'spawn-pending/' + encodeURIComponent(d.user);
          else window.location.reload();
          return;
        }
        return r.json().catch(function () { return {}; }).then(function (body) {
          status.textContent = 'Error ' + r.status + ': ' + (body.message || r.statusText);
          button.disabled = false;
        });
      }, function (e) { status.textContent = 'Error: ' + e; button.disabled = false; });
  }
  var start = document.getElementById('start');
  var stop = document.getElementById('stop');
  if (start) start.addEventListener('click', function () { call('POST', start); });
  if (stop) stop.addEventListener('click', function () { call('DELETE', stop); });
})();
`;

/**
 * A minimal home page until the full one (named servers table etc.) exists: who is signed in, the
 * default server's state with a start or stop button, and links to the server and to sign out.
 */
export function registerHomePage(app: FastifyInstance<any, any, any, any, any>, ctx: HubContext): void {
  const base = ctx.baseUrl;
  app.get(`${base}hub/home`, { schema: { hide: true } }, async (req, reply) => {
    const s = await pageSession(ctx, req);
    if (!s) return loginRedirect(ctx, req, reply);
    const state = await serverState(ctx, s.user, '');
    const url = serverUrl(base, s.user.name, '');
    const body = html`
<h1>Home</h1>
<p>Signed in as <strong>${s.user.name}</strong>.</p>
<section aria-labelledby="server-heading">
  <h2 id="server-heading">Your server</h2>
  <p id="server-status" role="status" aria-live="polite">${STATE_TEXT[state]}</p>
  ${state === 'ready' ? html`<p><a class="button" id="go" href="${url}">Go to my server</a></p>` : ''}
  ${state === 'pending' ? html`<p><a href="${hubServerPage(base, 'spawn-pending', s.user.name, '')}">Follow its progress</a></p>` : ''}
  <p>
    ${state === 'ready' || state === 'pending'
      ? html`<button type="button" id="stop" class="secondary">Stop my server</button>`
      : html`<button type="button" id="start">Start my server</button>`}
  </p>
  <p class="muted">Server address: <a href="${url}">${url}</a></p>
</section>
<p><a href="${base}hub/logout">Sign out</a></p>`;
    return sendPage(reply, 200, page({ title: 'Home', baseUrl: base, user: s.user.name, jhdata: pageData(ctx, req, reply, s), body, script: SCRIPT }));
  });
}
