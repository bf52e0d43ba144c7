import type { FastifyReply } from 'fastify';
import { escapeHtml } from '../http/errors.ts';
import { builtinTemplates, markSafe, newNonce, pageCsp, templatesOf } from './templates.ts';

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
  return raw(
    JSON.stringify(value)
      .replace(/</g, '\\u003c')
      .replace(/\u2028/g, '\\u2028')
      .replace(/\u2029/g, '\\u2029'),
  );
}

/** What every page template gets besides its own variables. */
export interface PageContext {
  /** `<base>`, the hub's public prefix. */
  baseUrl: string;
  /** The signed-in user, shown in the header with the navigation. */
  user?: string | null;
  /** Exposed as window.jhdata (JupyterHub's page data: base_url is the hub's URL path, prefix the base). */
  jhdata?: Record<string, unknown>;
  /** Which navigation entry is the current page. */
  pageName?: string;
  /** Whether the user holds admin-ui, which shows the Admin navigation entry. */
  adminUi?: boolean;
  /** Account pages the authenticator offers (password: change password, and 2FA where allowed). */
  accountLinks?: { password: boolean; twoFactor: boolean };
}

/** A string or an html`` fragment, for template variables that may hold markup we built ourselves. */
function templateValue(v: unknown): unknown {
  return v && typeof v === 'object' && 'html' in (v as object) && Object.keys(v as object).length === 1
    ? markSafe((v as Raw).html)
    : v;
}

/**
 * Renders `template` with the hub's environment (template_paths first) and sends it. The jhdata
 * script carries a fresh nonce, the only inline script the CSP lets run.
 */
export function renderPage(
  reply: FastifyReply,
  status: number,
  template: string,
  pc: PageContext,
  vars: Record<string, unknown> = {},
): FastifyReply {
  const { env } = templatesOf(reply.request);
  const nonce = pc.jhdata ? newNonce() : null;
  const context: Record<string, unknown> = {
    base_url: `${pc.baseUrl}hub/`,
    prefix: pc.baseUrl,
    user: pc.user ?? null,
    page_name: pc.pageName ?? '',
    admin_ui: pc.adminUi ?? false,
    password_ui: pc.accountLinks?.password ?? false,
    two_factor_ui: pc.accountLinks?.twoFactor ?? false,
    csp_nonce: nonce,
    jhdata_json: pc.jhdata ? markSafe(scriptJson(pc.jhdata).html) : null,
  };
  for (const [k, v] of Object.entries(vars)) context[k] = templateValue(v);
  return sendPage(reply, status, env.render(template, context), nonce);
}

export interface PageOptions {
  title: string;
  baseUrl: string;
  user?: string | null;
  body: Raw;
}

/**
 * A page from a ready-made body inside the built-in page.html, for callers outside src/web (the
 * OAuth consent page) that have no request at hand. No inline scripts: there is no nonce.
 */
export function page(o: PageOptions): string {
  const { env } = builtinTemplates();
  return env.renderString('{% extends "page.html" %}{% block main %}{{ body }}{% endblock %}', {
    title: o.title,
    base_url: `${o.baseUrl}hub/`,
    prefix: o.baseUrl,
    user: o.user ?? null,
    body: markSafe(o.body.html),
  });
}

export function sendPage(reply: FastifyReply, status: number, body: string, nonce: string | null = null): FastifyReply {
  // The page's own policy replaces the one every answer gets (src/http/server.ts), keeping its report-uri.
  const report = /report-uri [^;]+/.exec(String(reply.getHeader('Content-Security-Policy') ?? ''))?.[0];
  return (
    reply
      .code(status)
      .header('Content-Type', 'text/html; charset=utf-8')
      // Pages carry the XSRF token and who is signed in: no shared cache may keep them.
      .header('Cache-Control', 'no-store')
      .header('Content-Security-Policy', report ? `${pageCsp(nonce)}; ${report}` : pageCsp(nonce))
      .header('X-Frame-Options', 'DENY')
      .header('Referrer-Policy', 'same-origin')
      .send(body)
  );
}

export function errorPage(
  reply: FastifyReply,
  baseUrl: string,
  status: number,
  title: string,
  message: Raw | string,
  user?: string | null,
): FastifyReply {
  return renderPage(
    reply,
    status,
    'error.html',
    { baseUrl, user },
    { title: `${status} ${title}`, status_code: status, status_message: title, message },
  );
}
