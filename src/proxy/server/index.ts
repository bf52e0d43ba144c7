// `tshub proxy`: configurable-http-proxy's behaviour and REST API on node:http. Two servers: the
// public one forwards by longest route prefix, the API one edits the routing table.
import { Agent, createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from 'pino';
import { apiHandler } from './api.ts';
import { httpHandler, upgradeHandler } from './forward.ts';
import { parseTarget, RouteTable } from './route-table.ts';

export { RouteTable, cleanPath, parseTarget } from './route-table.ts';
export type { Route, Target } from './route-table.ts';

export interface ProxyServerOptions {
  ip: string;
  port: number;
  apiIp: string;
  apiPort: number;
  authToken: string | null;
  defaultTarget?: string | null;
  errorTarget?: string | null;
  log: Logger;
  /** Add X-Forwarded-* headers (default true, as CHP). */
  xForward?: boolean;
  /** ms without any traffic on a client connection before it is dropped (CHP --timeout); 0 = never. */
  timeoutMs?: number;
  /** ms a target may take to answer (CHP --proxy-timeout); 0 = no limit. */
  proxyTimeoutMs?: number;
  /** ms an idle keep-alive client connection stays open (CHP --keep-alive-timeout, default 5 s). */
  keepAliveTimeoutMs?: number;
}

export interface ProxyServer {
  routes: RouteTable;
  /** Where the public side and the API listen (the actual ports when 0 was asked for). */
  port: number;
  apiPort: number;
  close(): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export async function startProxyServer(opts: ProxyServerOptions): Promise<ProxyServer> {
  const { log } = opts;
  const routes = new RouteTable();
  if (opts.defaultTarget) routes.add('/', { target: opts.defaultTarget }, parseTarget(opts.defaultTarget));
  // One pool for all targets. LIFO reuses the most recently used sockets, so the rest go idle and
  // time out; the idle timeout stays under Node's 5 s server keep-alive so that a target closing
  // an idle socket rarely races a new request on it (and a GET that meets that race is resent).
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 1024, scheduling: 'lifo', timeout: 4000 });
  const forward = {
    routes, log, agent,
    errorTarget: opts.errorTarget ?? null,
    xForward: opts.xForward ?? true,
    proxyTimeoutMs: opts.proxyTimeoutMs ?? 0,
  };
  const publicServer = createServer({
    keepAlive: true,
    keepAliveTimeout: opts.keepAliveTimeoutMs ?? 5000,
    // Uploads and long polls may take as long as they take; slow headers are still cut (headersTimeout).
    requestTimeout: 0,
  }, httpHandler(forward));
  // Upgraded connections are no longer the server's, so close() must end them itself.
  const upgraded = new Set<Socket>();
  const upgrade = upgradeHandler(forward);
  publicServer.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    upgrade(req, socket, head);
  });
  if (opts.timeoutMs) publicServer.timeout = opts.timeoutMs;
  publicServer.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (socket.writable && err.code !== 'ECONNRESET') socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  const apiServer = createServer(apiHandler({ routes, authToken: opts.authToken, log }));

  const port = await listen(publicServer, opts.port, opts.ip);
  let apiPort: number;
  try {
    apiPort = await listen(apiServer, opts.apiPort, opts.apiIp);
  } catch (err) {
    publicServer.close();
    throw err;
  }
  log.info(`Proxying http://${opts.ip}:${port} to ${opts.defaultTarget ?? '(no default)'}`);
  log.info(`Proxy API at http://${opts.apiIp}:${apiPort}/api/routes`);
  if (!opts.authToken) log.warn('REST API is not authenticated.');

  const closeServer = (s: Server) => new Promise<void>((r) => {
    s.close(() => r());
    s.closeAllConnections();
  });
  return {
    routes, port, apiPort,
    async close() {
      const closing = Promise.all([closeServer(publicServer), closeServer(apiServer)]);
      for (const s of upgraded) s.destroy();
      await closing;
      agent.destroy();
    },
  };
}
