// `tshub proxy`: configurable-http-proxy's behaviour and REST API. Two servers: the public one is a
// lean HTTP/1.1 forwarding engine on node:net (forward.ts), the API one (node:http) edits the routing table.
import { Agent, createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { apiHandler } from './api.ts';
import { ClientConnection } from './forward.ts';
import { RefusedTokens } from './refused-tokens.ts';
import { TokenBindings } from './bindings.ts';
import { parseTarget, RouteTable } from './route-table.ts';
import { UpstreamPool } from './upstream-pool.ts';

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
  refused: RefusedTokens;
  /** Where the public side and the API listen (the actual ports when 0 was asked for). */
  port: number;
  apiPort: number;
  close(): Promise<void>;
}

function listen(server: Server | NetServer, port: number, host: string): Promise<number> {
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
  const refused = new RefusedTokens();
  const bindings = new TokenBindings();
  // Entries past their time are dropped as the set grows too; this keeps an idle proxy's set small.
  const pruning = setInterval(() => refused.prune(), 60_000);
  pruning.unref();
  const pool = new UpstreamPool();
  // Only for fetching error pages from the error target.
  const agent = new Agent({ keepAlive: true, timeout: 4000 });
  const engine = {
    routes,
    log,
    pool,
    agent,
    errorTarget: opts.errorTarget ?? null,
    xForward: opts.xForward ?? true,
    proxyTimeoutMs: opts.proxyTimeoutMs ?? 0,
    timeoutMs: opts.timeoutMs ?? 0,
    keepAliveTimeoutMs: opts.keepAliveTimeoutMs ?? 5000,
    refused,
    bindings,
  };
  // Client connections are tracked so that close() can end them (upgraded ones included).
  const clients = new Set<Socket>();
  const publicServer = createNetServer({ noDelay: true }, (socket) => {
    clients.add(socket);
    socket.once('close', () => clients.delete(socket));
    new ClientConnection(socket, engine);
  });
  const apiServer = createServer(apiHandler({ routes, refused, bindings, authToken: opts.authToken, log }));

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

  return {
    routes,
    refused,
    port,
    apiPort,
    async close() {
      const closing = Promise.all([
        new Promise<void>((r) => publicServer.close(() => r())),
        new Promise<void>((r) => {
          apiServer.close(() => r());
          apiServer.closeAllConnections();
        }),
      ]);
      clearInterval(pruning);
      for (const s of clients) s.destroy();
      pool.destroy();
      agent.destroy();
      await closing;
    },
  };
}
