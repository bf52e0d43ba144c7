// Forwarding of HTTP requests and WebSocket upgrades to route targets: bodies stream both ways
// through pipe() (so a slow reader pauses the other side instead of filling memory), requests go
// over one keep-alive pool, and failures become CHP's 404/503 answers or the error target's pages.
import { Agent, request, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { sendError, sendUpgradeError } from './error-pages.ts';
import type { Route, RouteTable } from './route-table.ts';

export interface ForwardOptions {
  routes: RouteTable;
  log: Logger;
  /** GET <errorTarget>/<code>?url=<url> renders error pages (the hub's /hub/error/<code>). */
  errorTarget: string | null;
  /** Add X-Forwarded-For/-Port/-Proto/-Host (CHP's default; --no-x-forward turns it off). */
  xForward: boolean;
  /** ms a target may take to start answering before the request fails with 503; 0 = no limit. */
  proxyTimeoutMs: number;
  agent: Agent;
}

// Hop-by-hop headers (RFC 9110 §7.6.1) describe one connection, not the message: they are not
// forwarded, so a client's "Connection: close" does not close a pooled connection to the target.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'proxy-authorization', 'proxy-authenticate']);

/** Retrying is only safe when nothing of the request was sent that cannot be sent again. */
function replayable(req: IncomingMessage): boolean {
  return (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS')
    && req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined;
}

/** The request path, decoded as CHP decodes it for routing (undecodable paths route as they are). */
export function routingPath(url: string): string {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  if (!path.includes('%')) return path;
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function appendHeader(headers: OutgoingHttpHeaders, name: string, value: string): void {
  const was = headers[name];
  headers[name] = was === undefined || was === '' ? value : `${String(was)},${value}`;
}

function outgoingHeaders(req: IncomingMessage, upgrade: boolean, xForward: boolean): OutgoingHttpHeaders {
  const src: IncomingHttpHeaders = req.headers;
  const out: OutgoingHttpHeaders = {};
  const listed = upgrade ? null : src.connection;
  for (const name in src) {
    if (!upgrade && HOP_BY_HOP.has(name)) continue;
    out[name] = src[name];
  }
  if (listed && listed !== 'keep-alive' && listed !== 'close') {
    for (const n of listed.toLowerCase().split(',')) delete out[n.trim()];
  }
  if (!upgrade && src['transfer-encoding'] !== undefined) out['transfer-encoding'] = src['transfer-encoding'];
  if (xForward) {
    const host = src.host ?? '';
    const colon = host.lastIndexOf(':');
    const port = colon > host.lastIndexOf(']') && colon >= 0 ? host.slice(colon + 1) : '80';
    appendHeader(out, 'x-forwarded-for', req.socket.remoteAddress ?? '');
    appendHeader(out, 'x-forwarded-port', port);
    appendHeader(out, 'x-forwarded-proto', upgrade ? 'ws' : 'http');
    out['x-forwarded-host'] ??= host;
  }
  return out;
}

/** The target's response headers minus hop-by-hop ones, as a raw list (keeps duplicates and case). */
function responseHeaders(raw: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    if (!HOP_BY_HOP.has(raw[i]!.toLowerCase())) out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}

/** Records activity on a route; cheap enough to call on every request. */
function touch(route: Route): void {
  route.lastActivity = Date.now();
}

export function httpHandler(opts: ForwardOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { routes, log, agent } = opts;

  const send = (req: IncomingMessage, res: ServerResponse, route: Route, retry: boolean): void => {
    const t = route.target;
    const proxyReq = request({
      host: t.host, port: t.port, method: req.method, path: t.path + (req.url ?? '/'), agent,
      headers: outgoingHeaders(req, false, opts.xForward),
    });
    let answered = false;
    if (opts.proxyTimeoutMs > 0) {
      proxyReq.setTimeout(opts.proxyTimeoutMs, () => {
        if (!answered) proxyReq.destroy(Object.assign(new Error(`no answer within ${opts.proxyTimeoutMs} ms`), { code: 'ETIMEDOUT' }));
      });
    }
    proxyReq.on('response', (proxyRes) => {
      answered = true;
      if (opts.proxyTimeoutMs > 0) proxyReq.setTimeout(0);
      const status = proxyRes.statusCode ?? 502;
      if (status < 300) touch(route);
      res.writeHead(status, proxyRes.statusMessage, responseHeaders(proxyRes.rawHeaders));
      proxyRes.pipe(res);
      // A target dying mid-body cannot become a 503 any more: cut the client off so it sees a short body.
      proxyRes.on('error', () => res.destroy());
      proxyRes.on('aborted', () => res.destroy());
      res.on('finish', () => {
        if (res.statusCode < 300) touch(route);
      });
    });
    proxyReq.on('error', (err: NodeJS.ErrnoException) => {
      if (answered) return res.destroy();
      // A pooled connection the target closed while idle: resend once on a fresh one.
      if (retry && proxyReq.reusedSocket && err.code === 'ECONNRESET' && !res.headersSent) return send(req, res, route, false);
      if (res.headersSent || res.destroyed) return res.destroy();
      log.error({ code: err.code, method: req.method, url: (req.url ?? '').split('?')[0], target: t.href }, `503 ${err.message}`);
      sendError(res, req, 503, opts.errorTarget, agent, log);
    });
    // The client went away before the response was done: stop the work at the target too.
    res.on('close', () => {
      if (!res.writableFinished) proxyReq.destroy();
    });
    if (replayable(req)) {
      proxyReq.end();
      if (retry) req.resume();
    } else {
      req.pipe(proxyReq);
      req.on('error', () => proxyReq.destroy());
    }
  };

  return (req, res) => {
    const url = req.url ?? '/';
    if (url === '/_chp_healthz') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"status":"OK"}');
      return;
    }
    const route = routes.lookup(routingPath(url));
    if (!route) {
      log.warn({ method: req.method, url: url.split('?')[0] }, '404 no route');
      req.resume();
      sendError(res, req, 404, opts.errorTarget, agent, log);
      return;
    }
    send(req, res, route, replayable(req));
  };
}

function rawHead(status: number, message: string | undefined, rawHeaders: string[]): string {
  let head = `HTTP/1.1 ${status} ${message ?? ''}\r\n`;
  for (let i = 0; i < rawHeaders.length; i += 2) head += `${rawHeaders[i]}: ${rawHeaders[i + 1]}\r\n`;
  return `${head}\r\n`;
}

/** Pipes an upgraded connection both ways; either side closing or failing closes the other. */
function splice(a: Socket, b: Socket, onData: () => void): void {
  for (const s of [a, b]) {
    s.setTimeout(0);
    s.setNoDelay(true);
    s.setKeepAlive(true);
    s.on('data', onData);
  }
  a.pipe(b).pipe(a);
  // WebSockets do not use TCP half-close: once one side hangs up, finish writing what is in flight
  // to the other and close both, rather than keep a half-open pair alive for as long as a peer allows.
  const hangUp = (other: Socket) => () => {
    if (other.writableFinished || other.destroyed) return void other.destroy();
    other.end(() => other.destroy());
  };
  a.on('end', hangUp(b));
  b.on('end', hangUp(a));
  a.on('error', () => b.destroy());
  b.on('error', () => a.destroy());
  a.on('close', () => b.destroy());
  b.on('close', () => a.destroy());
}

export function upgradeHandler(opts: ForwardOptions): (req: IncomingMessage, socket: Socket, head: Buffer) => void {
  const { routes, log } = opts;
  return (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    const url = req.url ?? '/';
    const route = routes.lookup(routingPath(url));
    if (!route) {
      log.warn({ url: url.split('?')[0] }, '404 no route for websocket');
      return sendUpgradeError(socket, 404);
    }
    const t = route.target;
    // Upgraded connections leave the pool for good, so they are not taken from it.
    const proxyReq = request({ host: t.host, port: t.port, method: req.method, path: t.path + url, headers: outgoingHeaders(req, true, opts.xForward), agent: false });
    if (opts.proxyTimeoutMs > 0) proxyReq.setTimeout(opts.proxyTimeoutMs, () => proxyReq.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    proxyReq.on('error', (err: NodeJS.ErrnoException) => {
      log.error({ code: err.code, url: url.split('?')[0], target: t.href }, `503 websocket: ${err.message}`);
      sendUpgradeError(socket, 503);
    });
    proxyReq.on('response', (proxyRes) => {
      // The target declined the upgrade: relay its answer as an ordinary response.
      if (!socket.writable) return proxyRes.resume();
      socket.write(rawHead(proxyRes.statusCode ?? 502, proxyRes.statusMessage, proxyRes.rawHeaders));
      proxyRes.pipe(socket);
    });
    proxyReq.on('upgrade', (proxyRes, proxySocket: Socket, proxyHead: Buffer) => {
      proxyReq.setTimeout(0);
      proxySocket.on('error', () => socket.destroy());
      if (!socket.writable) return proxySocket.destroy();
      touch(route);
      socket.write(rawHead(proxyRes.statusCode ?? 101, proxyRes.statusMessage, proxyRes.rawHeaders));
      if (proxyHead.length) socket.write(proxyHead);
      // Bytes the client sent right after its handshake belong to the upgraded stream.
      if (head.length) socket.unshift(head);
      splice(socket, proxySocket, () => touch(route));
    });
    socket.on('close', () => proxyReq.destroy());
    proxyReq.end();
  };
}
