import type { FastifyReply } from 'fastify';
import { escapeHtml } from '../http/errors.ts';

export { escapeHtml };

/** Tagged template whose interpolations are HTML-escaped unless wrapped in raw(). */
export interface Raw {
  readonly html: string;
}

export function raw(html: string): Raw {
  return { html };
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Raw {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? '');
  });
  return raw(out);
}

function render(v: unknown): string {
  if (v === null || v === undefined || v === false) return '';
  if (Array.isArray(v)) return v.map(render).join('');
  if (typeof v === 'object' && 'html' in (v as object)) return (v as Raw).html;
  return escapeHtml(String(v));
}

/** JSON for an inline <script>: `<` escaped so no value can close the script element. */
export function scriptJson(value: unknown): Raw {
  return raw(JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029'));
}

const STYLE = `
:root { color-scheme: light dark; --accent: #f37726; --fg: CanvasText; --muted: GrayText; }
* { box-sizing: border-box; }
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: var(--fg); background: Canvas; }
header { display: flex; justify-content: space-between; align-items: center; padding: .5rem 1rem; border-bottom: 3px solid var(--accent); }
header .brand { font-weight: 700; text-decoration: none; color: inherit; }
main { max-width: 40rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin: 0 0 1rem; }
label { display: block; font-weight: 600; margin-top: 1rem; }
input[type=text], input[type=password] { width: 100%; padding: .5rem; font: inherit; border: 1px solid var(--muted); border-radius: 4px; }
button, .button { display: inline-block; margin-top: 1rem; padding: .5rem 1.2rem; font: inherit; border-radius: 4px; border: 1px solid var(--accent);
  background: var(--accent); color: #fff; cursor: pointer; text-decoration: none; }
button.secondary, .button.secondary { background: transparent; color: inherit; border-color: var(--muted); }
:focus-visible { outline: 3px solid #1a73e8; outline-offset: 2px; }
.error { border-left: 4px solid #c62828; padding: .5rem 1rem; background: color-mix(in srgb, #c62828 12%, Canvas); }
.muted { color: var(--muted); }
ul.scopes li { margin: .3rem 0; }
progress { width: 100%; height: 1.2rem; }
.log { font-family: ui-monospace, monospace; font-size: .9rem; white-space: pre-wrap; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;

export interface PageOptions {
  title: string;
  baseUrl: string;
  /** The signed-in user, shown in the header with a sign-out link. */
  user?: string | null;
  /** Exposed as window.jhdata (JupyterHub's page data: base_url is the hub's URL path, prefix the base). */
  jhdata?: Record<string, unknown>;
  body: Raw;
  script?: string;
}

export function page(o: PageOptions): string {
  const hub = `${o.baseUrl}hub/`;
  const data = o.jhdata ? html`<script>window.jhdata = ${scriptJson(o.jhdata)};</script>` : raw('');
  const signedIn = o.user
    ? html`<nav aria-label="Account"><span class="muted">${o.user}</span> · <a href="${hub}logout">Sign out</a></nav>`
    : raw('');
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${o.title} – JupyterHub</title>
<style>${raw(STYLE)}</style>
${data}
</head>
<body>
<header><a class="brand" href="${hub}">JupyterHub</a>${signedIn}</header>
<main id="main">
${o.body}
</main>
${o.script ? raw(`<script>${o.script}</script>`) : ''}
</body>
</html>
`.html;
}

/**
 * Our pages load nothing from elsewhere, so they can say so. Pages under /hub/api (the OAuth consent
 * and error pages) would otherwise get the API's `default-src 'none'`, which blocks their inline style.
 */
export const PAGE_CSP = "frame-ancestors 'none'; default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'";

export function sendPage(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply
    .code(status)
    .header('Content-Type', 'text/html; charset=utf-8')
    // Pages carry the XSRF token and who is signed in: no shared cache may keep them.
    .header('Cache-Control', 'no-store')
    .header('Content-Security-Policy', PAGE_CSP)
    .send(body);
}

export function errorPage(reply: FastifyReply, baseUrl: string, status: number, title: string, message: Raw | string, user?: string | null): FastifyReply {
  const body = html`<h1>${status} ${title}</h1><p>${message}</p><p><a href="${baseUrl}hub/home">Go to the home page</a></p>`;
  return sendPage(reply, status, page({ title: `${status} ${title}`, baseUrl, user, body }));
}
