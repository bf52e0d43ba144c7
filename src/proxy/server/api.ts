// The REST API of `tshub proxy`, answering as configurable-http-proxy does (same paths, status
// codes, bodies and order of checks), so ChpClient and JupyterHub's CHP proxy class drive either.
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { safeEqual } from '../../lib/secrets.ts';
import { refusalsApi } from './api-refusals.ts';
import { bindingsApi } from './bindings-api.ts';
import type { TokenBindings } from './bindings.ts';
import type { RefusedTokens } from './refused-tokens.ts';
import { parseTarget, type Route, type RouteTable, type Target } from './route-table.ts';

export interface ApiOptions {
  routes: RouteTable;
  refused: RefusedTokens;
  bindings: TokenBindings;
  /** null: the API is not authenticated (CHP without CONFIGPROXY_AUTH_TOKEN). */
  authToken: string | null;
  log: Logger;
}

// A route table is small; a body larger than this is a mistake or an attack, not a route.
const MAX_BODY = 1024 * 1024;

export function routeJson(route: Route): Record<string, unknown> {
  return { ...route.data, last_activity: new Date(route.lastActivity).toISOString() };
}

function fail(res: ServerResponse, code: number, msg?: string): void {
  if (res.writableEnded) return;
  res.writeHead(code);
  res.end(msg ?? STATUS_CODES[code]);
}

function json(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        resolve(null);
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function apiHandler({
  routes,
  refused,
  bindings,
  authToken,
  log,
}: ApiOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const authorized = (req: IncomingMessage): boolean => {
    if (!authToken) return true;
    const m = /token\s+(\S+)/.exec(req.headers.authorization ?? '');
    return m !== null && safeEqual(m[1]!, authToken);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://api.invalid');
    if (url.pathname === '/api/refusals') {
      const body = req.method === 'POST' ? await readBody(req) : '';
      if (!authorized(req)) return fail(res, 403);
      return refusalsApi(refused, log, req, res, body);
    }
    if (url.pathname === '/api/bindings') {
      const body = req.method === 'POST' ? await readBody(req) : '';
      if (!authorized(req)) return fail(res, 403);
      return bindingsApi(bindings, log, req, res, body);
    }
    const m = /^\/api\/routes(\/.*)?$/.exec(url.pathname);
    if (!m) return fail(res, 404);
    const method = (req.method ?? 'GET').toLowerCase();
    if (method !== 'get' && method !== 'post' && method !== 'delete') return fail(res, 405, 'Method not supported');
    let path: string | undefined;
    try {
      path = m[1] === undefined ? undefined : decodeURIComponent(m[1]);
    } catch {
      return fail(res, 400, `Invalid URL escape in ${m[1]}`);
    }
    // CHP parses a POST body before checking the token, so a bad body is a 400 even unauthorized.
    let data: Record<string, unknown> = {};
    if (method === 'post') {
      const text = await readBody(req);
      if (text === null) return fail(res, 413);
      try {
        const parsed: unknown = JSON.parse(text);
        data = (parsed || {}) as Record<string, unknown>;
      } catch (e) {
        return fail(res, 400, `Body not valid JSON: ${String(e)}`);
      }
    }
    if (!authorized(req)) {
      log.debug({ method: req.method, url: url.pathname }, 'rejecting API request: wrong or missing token');
      res.writeHead(403);
      res.end();
      return;
    }

    if (method === 'get') {
      if (path && path !== '/') {
        const route = routes.get(path);
        if (!route) return fail(res, 404, '');
        return json(res, 200, routeJson(route));
      }
      const since = url.searchParams.get('inactiveSince') || url.searchParams.get('inactive_since');
      let cutoff: number | null = null;
      if (since) {
        cutoff = Date.parse(since);
        if (!Number.isFinite(cutoff)) return fail(res, 400, `Invalid datestamp '${since}' must be ISO8601.`);
      }
      const out: Record<string, unknown> = {};
      for (const route of routes.all()) {
        if (cutoff === null || route.lastActivity < cutoff) out[route.prefix] = routeJson(route);
      }
      return json(res, 200, out);
    }

    if (method === 'post') {
      if (typeof data !== 'object' || Array.isArray(data) || typeof data.target !== 'string') {
        log.warn({ data }, 'bad POST data');
        return fail(res, 400, "Must specify 'target' as string");
      }
      let target: Target;
      try {
        target = parseTarget(data.target);
      } catch (e) {
        return fail(res, 400, `Invalid target ${JSON.stringify(data.target)}: ${(e as Error).message}`);
      }
      const route = routes.add(path || '/', data, target);
      log.info({ path: route.prefix, target: data.target }, 'route added');
      res.writeHead(201);
      res.end();
      return;
    }

    // delete
    const p = path || '/';
    if (!routes.remove(p)) return fail(res, 404, '');
    log.info({ path: p }, 'route removed');
    res.writeHead(204);
    res.end();
  };

  return (req, res) => {
    res.on('finish', () => {
      const level = res.statusCode < 400 ? 'info' : res.statusCode < 500 ? 'warn' : 'error';
      log[level]({ status: res.statusCode, method: req.method, url: (req.url ?? '').split('?')[0] }, 'api request');
    });
    handle(req, res).catch((err: unknown) => {
      log.error({ err }, 'error in API handler');
      fail(res, 500);
    });
  };
}
