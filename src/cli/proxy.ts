import type { Command } from 'commander';
import type { ProxyServer } from '../proxy/server/index.ts';

interface ProxyFlags {
  ip: string;
  port: string;
  apiIp: string;
  apiPort?: string;
  defaultTarget?: string;
  errorTarget?: string;
  logLevel: string;
  timeout?: string;
  proxyTimeout?: string;
  keepAliveTimeout?: string;
  xForward: boolean;
}

function int(what: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`${what} must be a non-negative integer, got ${JSON.stringify(v)}`);
  return n;
}

// CHP's level names, plus Python's 'warning' (JupyterHub passes its own level names through).
const LEVELS: Record<string, string> = { debug: 'debug', info: 'info', warn: 'warn', warning: 'warn', error: 'error' };

export function registerProxy(program: Command): void {
  program
    .command('proxy')
    .description(
      'the proxy: a drop-in configurable-http-proxy (same flags and /api/routes REST API); ' +
        'the API token comes from $CONFIGPROXY_AUTH_TOKEN',
    )
    .option('--ip <ip-address>', 'public-facing IP of the proxy', '')
    .option('--port <n>', 'public-facing port of the proxy', '8000')
    .option('--api-ip <ip>', 'inward-facing IP for API requests', 'localhost')
    .option('--api-port <n>', 'inward-facing port for API requests (default: --port + 1)')
    .option('--default-target <url>', 'default proxy target (proto://host[:port]), added as the route /')
    .option('--error-target <url>', 'where error pages come from: GET <url>/<code>?url=<request url>')
    .option('--log-level <level>', 'debug, info, warn or error', 'info')
    .option('--timeout <ms>', 'drop a client connection idle this long (default: never)')
    .option('--proxy-timeout <ms>', 'answer 503 when a target gives no response within this (default: never)')
    .option('--keep-alive-timeout <ms>', 'close idle keep-alive client connections after this', '5000')
    .option('--no-x-forward', "don't add X-Forwarded-* headers to proxied requests")
    .showHelpAfterError('(tshub proxy --help lists the options)')
    .action(async (flags: ProxyFlags) => {
      const level = LEVELS[flags.logLevel.toLowerCase()];
      let port: number, apiPort: number, timeoutMs: number, proxyTimeoutMs: number, keepAliveTimeoutMs: number;
      try {
        if (!level)
          throw new Error(`--log-level must be debug, info, warn or error, got ${JSON.stringify(flags.logLevel)}`);
        port = int('--port', flags.port);
        apiPort = flags.apiPort === undefined ? port + 1 : int('--api-port', flags.apiPort);
        timeoutMs = flags.timeout === undefined ? 0 : int('--timeout', flags.timeout);
        proxyTimeoutMs = flags.proxyTimeout === undefined ? 0 : int('--proxy-timeout', flags.proxyTimeout);
        keepAliveTimeoutMs = int('--keep-alive-timeout', flags.keepAliveTimeout ?? '5000');
        for (const [name, url] of [
          ['--default-target', flags.defaultTarget],
          ['--error-target', flags.errorTarget],
        ] as const) {
          if (url !== undefined && new URL(url).protocol !== 'http:')
            throw new Error(`${name} must be an http:// URL, got ${url}`);
        }
      } catch (err) {
        process.stderr.write(`tshub proxy: ${(err as Error).message}\n`);
        process.exitCode = 2;
        return;
      }
      // Loaded here, not at the top, so that other commands do not pay for the proxy.
      const { createLogger } = await import('../lib/logger.ts');
      const { startProxyServer } = await import('../proxy/server/index.ts');
      const log = createLogger(level!, undefined).child({ module: 'proxy' });
      let server: ProxyServer;
      try {
        server = await startProxyServer({
          ip: flags.ip === '' ? '0.0.0.0' : flags.ip,
          port,
          apiIp: flags.apiIp,
          apiPort,
          authToken: process.env.CONFIGPROXY_AUTH_TOKEN || null,
          defaultTarget: flags.defaultTarget ?? null,
          errorTarget: flags.errorTarget ?? null,
          log,
          xForward: flags.xForward,
          timeoutMs,
          proxyTimeoutMs,
          keepAliveTimeoutMs,
        });
      } catch (err) {
        // Unlike CHP, which logs a failed listen and keeps running, exit so a supervisor notices.
        log.fatal({ err }, `cannot start the proxy: ${(err as Error).message}`);
        process.stderr.write(`tshub proxy: ${(err as Error).message}\n`);
        process.exit(1);
      }
      for (const sig of ['SIGTERM', 'SIGINT'] as const) {
        process.once(sig, () => {
          log.info(`${sig}: stopping`);
          // Open connections are cut either way; waiting for them could take forever.
          void server.close();
          setTimeout(() => process.exit(0), 100).unref();
        });
      }
    });
}
