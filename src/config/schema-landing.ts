import { extname } from 'node:path';
import { Type } from 'typebox';
import type { PathSegment, Problem } from './errors.ts';
import { displayPath } from './errors.ts';
import { isValidServerName } from '../servers/names.ts';
import { bool, str } from './schema-util.ts';

// Where a browser lands (after login, on /hub/, from a user-redirect link), what the hub's pages show,
// and what the public URL is: JupyterHub's keys of the same names.

/** The image types /hub/logo can answer with, by the logo file's extension. */
export const LOGO_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.svg': 'image/svg+xml',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
};

const TEMPLATE_VAR = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const landingProperties = {
  public_url: Type.String({
    default: '',
    description:
      'The URL users reach the hub at from outside (e.g. https://hub.example.org/), when it differs from bind_url ' +
      "behind a load balancer: server models' full_url and full_progress_url and the servers' JUPYTERHUB_PUBLIC_URL " +
      'are built from it. Its path, if any, must be the base URL. Empty: not known, those stay null or empty.',
  }),
  cookie_max_age_days: Type.Number({
    exclusiveMinimum: 0,
    default: 14,
    description: "Days the hub's login cookie stays valid (and the browser keeps it); fractions allowed.",
  }),
  redirect_to_server: bool(
    true,
    'After login (no next), send users to their default server (starting it first if stopped) instead of /hub/home.',
  ),
  default_url: Type.String({
    default: '',
    description:
      'Where /hub/ and a login without next send users, instead of their server or /hub/home: a path (/hub/home) ' +
      'or an http(s) URL. Empty: the server or home, as redirect_to_server says.',
  }),
  default_server_name: Type.String({
    default: '',
    description:
      'With allow_named_servers, the named server that user-redirect links and the landing after login open (and ' +
      'start) instead of the default one. Ignored without named servers, as upstream.',
  }),
  implicit_spawn_seconds: Type.Number({
    minimum: 0,
    default: 0,
    description:
      'Seconds after which the "server not running" page (a link to a stopped server) starts it by itself; 0 only offers the button.',
  }),
  shutdown_on_logout: bool(false, "Stop all of a user's running servers when they log out."),
  template_vars: Type.Record(Type.String(), Type.Unknown(), {
    default: {},
    hint: 'a mapping of template variable names to values',
    description:
      'Extra variables available in every page template (names like announcement or org_name), for template_paths overrides.',
  }),
  logo_file: str(
    '',
    "An image file (png, jpg, gif, svg, webp or ico) served at /hub/logo and shown in the pages' header; relative paths are from the state directory. Empty: no logo, the name only.",
    { minLength: 0 },
  ),
};

function problem(path: PathSegment[], text: string): Problem {
  return { path, display: displayPath(path), kind: 'invalid', text };
}

interface LandingKeys {
  bind_url: string;
  public_url: string;
  default_url: string;
  default_server_name: string;
  template_vars: Record<string, unknown>;
  logo_file: string;
}

/** The landing keys' rules beyond their types: URL shapes, the base URL, names and file types. */
export function landingProblems(c: LandingKeys): Problem[] {
  const out: Problem[] = [];
  const base = new URL(c.bind_url).pathname;
  if (c.public_url !== '') {
    let u: URL | null = null;
    try {
      u = new URL(c.public_url);
    } catch {
      // reported below
    }
    if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:'))
      out.push(problem(['public_url'], 'must be an http:// or https:// URL, or empty'));
    else if (u.search || u.hash || u.username || u.password)
      out.push(problem(['public_url'], 'must be a plain URL: no query, fragment or credentials'));
    else if (u.pathname !== '/' && u.pathname !== base && `${u.pathname}/` !== base)
      out.push(
        problem(['public_url'], `its path must be the base URL ${base} (from bind_url) or /, got ${u.pathname}`),
      );
  }
  if (c.default_url !== '' && !/^\/(?!\/)/.test(c.default_url) && !/^https?:\/\/[^/]/.test(c.default_url))
    out.push(problem(['default_url'], 'must be a path starting with "/" or an http(s) URL, or empty'));
  if (c.default_server_name !== '' && !isValidServerName(c.default_server_name))
    out.push(
      problem(
        ['default_server_name'],
        'must be a server name: 1 to 30 lowercase letters, digits and "-", starting with a letter',
      ),
    );
  for (const key of Object.keys(c.template_vars))
    if (!TEMPLATE_VAR.test(key))
      out.push(
        problem(['template_vars', key], 'a template variable name: letters, digits and "_", not starting with a digit'),
      );
  if (c.logo_file !== '' && !(extname(c.logo_file).toLowerCase() in LOGO_TYPES))
    out.push(problem(['logo_file'], `must be an image file ending in ${Object.keys(LOGO_TYPES).join(', ')}`));
  return out;
}
