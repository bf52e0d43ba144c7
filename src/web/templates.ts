import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import nunjucks from 'nunjucks';

// src/web/ whether this module runs from src/web/ or compiled from dist/web/ (same depth): the build
// compiles TypeScript only, so the assets have one home.
const WEB_DIR = join(import.meta.dirname, '..', '..', 'src', 'web');

/** The templates and static files shipped with the hub; `template_paths` are searched before them. */
export const BUILTIN_TEMPLATES = join(WEB_DIR, 'templates');
const STATIC_DIR = join(WEB_DIR, 'static');

const TYPES: Record<string, string> = { css: 'text/css; charset=utf-8', js: 'text/javascript; charset=utf-8' };

interface StaticFile {
  body: Buffer;
  type: string;
  version: string;
}

/** Static files are few and small: read once, so a request can never name a path outside the directory. */
function loadStatic(): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  for (const name of readdirSync(STATIC_DIR)) {
    const ext = name.split('.').pop() ?? '';
    const type = TYPES[ext];
    if (!type) continue;
    const body = readFileSync(join(STATIC_DIR, name));
    files.set(name, { body, type, version: createHash('sha256').update(body).digest('hex').slice(0, 12) });
  }
  return files;
}

export interface Templates {
  env: nunjucks.Environment;
  staticFiles: Map<string, StaticFile>;
}

/** What every template sees besides its page's variables: the admin's template_vars, and whether there is a logo. */
export interface TemplateGlobals {
  templateVars?: Record<string, unknown>;
  logo?: boolean;
}

/**
 * A nunjucks environment with autoescaping on (every `{{ }}` is HTML-escaped unless marked safe).
 * `hubUrl` is `<base>hub/`; `static_url()` adds a content hash so browsers may cache the files for good.
 * template_vars are globals: a page's own variables of the same name win over them.
 */
export function createTemplates(
  hubUrl: string,
  templatePaths: readonly string[],
  stateDir: string,
  globals: TemplateGlobals = {},
): Templates {
  const dirs = [...templatePaths.map((p) => (isAbsolute(p) ? p : resolve(stateDir, p))), BUILTIN_TEMPLATES];
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(dirs), {
    autoescape: true,
    throwOnUndefined: false,
  });
  const staticFiles = loadStatic();
  env.addGlobal('static_url', (name: string) => {
    const f = staticFiles.get(name);
    return `${hubUrl}static/${name}${f ? `?v=${f.version}` : ''}`;
  });
  for (const [k, v] of Object.entries(globals.templateVars ?? {})) env.addGlobal(k, v);
  env.addGlobal('logo_url', globals.logo ? `${hubUrl}logo` : '');
  return { env, staticFiles };
}

let builtin: Templates | null = null;

/** For callers that have no request at hand: built-in templates only, under base URL '/'. */
export function builtinTemplates(): Templates {
  builtin ??= createTemplates('/hub/', [], process.cwd());
  return builtin;
}

const byRequest = new WeakMap<FastifyRequest, Templates>();

/** Lets helpers that only get a reply (errorPage) find the hub's environment, with its template_paths. */
export function attachTemplates(app: FastifyInstance<any, any, any, any, any>, t: Templates): void {
  app.addHook('onRequest', async (req) => {
    byRequest.set(req, t);
  });
}

export function templatesOf(req: FastifyRequest): Templates {
  return byRequest.get(req) ?? builtinTemplates();
}

/** `<base>hub/static/<file>`: the hub's own CSS and JavaScript (no CDN, no build step). */
export function registerStatic(app: FastifyInstance<any, any, any, any, any>, hubUrl: string, t: Templates): void {
  app.get(`${hubUrl}static/:file`, { schema: { hide: true } }, async (req, reply) => {
    const { file } = req.params as { file: string };
    const f = t.staticFiles.get(file);
    if (!f) return reply.code(404).type('text/plain; charset=utf-8').send('Not Found');
    const versioned = (req.query as Record<string, unknown>).v === f.version;
    return reply
      .type(f.type)
      .header('Cache-Control', versioned ? 'public, max-age=31536000, immutable' : 'no-cache')
      .header('ETag', `"${f.version}"`)
      .send(f.body);
  });
}

export function newNonce(): string {
  return randomBytes(16).toString('base64');
}

/**
 * Scripts only from the hub itself, plus the one inline `window.jhdata` block that carries this
 * response's nonce; styles only from the hub's stylesheet. Nothing may frame a page.
 */
export function pageCsp(nonce: string | null): string {
  const scripts = nonce ? `'self' 'nonce-${nonce}'` : "'self'";
  return `frame-ancestors 'none'; default-src 'none'; style-src 'self'; script-src ${scripts}; connect-src 'self'; img-src 'self' data:; base-uri 'none'; object-src 'none'`;
}

/** Markup we built ourselves (already escaped), which autoescaping must leave alone. */
export function markSafe(html: string): unknown {
  return new nunjucks.runtime.SafeString(html);
}
