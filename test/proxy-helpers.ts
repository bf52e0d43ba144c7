// Helpers for the proxy tests: a tiny HTTP + WebSocket backend on node:http, a raw WebSocket client,
// and bookkeeping that kills every proxy a test started (by process group), even when it fails.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request, type Agent, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { createLogger } from '../src/lib/logger.ts';
import { readPid } from '../src/proxy/state-files.ts';

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export interface Backend {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Answers `<name> <method> <url>`; echoes WebSocket text frames as `<name> echo <url> <text>`. */
export async function startBackend(name: string): Promise<Backend> {
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'text/plain');
    res.end(`${name} ${req.method} ${req.url}`);
  });
  server.on('upgrade', (req, socket: Socket) => {
    const accept = createHash('sha1').update(`${req.headers['sec-websocket-key']}${WS_GUID}`).digest('base64');
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    readFrames(socket, true, (text) => socket.write(frame(`${name} echo ${req.url} ${text}`, false)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    close: () =>
      new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/** One unfragmented text frame with a short payload; clients must mask, servers must not. */
function frame(text: string, masked: boolean): Buffer {
  const payload = Buffer.from(text);
  if (payload.length > 125) throw new Error('test frames are short');
  if (!masked) return Buffer.concat([Buffer.from([0x81, payload.length]), payload]);
  const mask = randomBytes(4);
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, payload.map((b, i) => b ^ mask[i % 4]!)]);
}

function readFrames(socket: Socket, masked: boolean, onText: (text: string) => void, initial = Buffer.alloc(0)): void {
  let buf = initial;
  const drain = () => {
    for (;;) {
      const head = masked ? 6 : 2;
      if (buf.length < 2) return;
      const len = buf[1]! & 0x7f;
      if (buf.length < head + len) return;
      let payload = buf.subarray(head, head + len);
      if (masked) {
        const mask = buf.subarray(2, 6);
        payload = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
      }
      buf = buf.subarray(head + len);
      onText(payload.toString());
    }
  };
  socket.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    drain();
  });
  drain();
}

/** GET through the proxy; with an agent, also whether the connection was reused. */
export function get(
  port: number,
  path: string,
  agent?: Agent,
): Promise<{ status: number; body: string; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: agent ?? false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, reused: req.reusedSocket }));
    });
    req.on('error', reject);
    req.end();
  });
}

export function pgid(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]!;
}

export interface WsClient {
  send(text: string): Promise<string>;
  close(): void;
}

/** Performs the WebSocket handshake by hand and returns a client that sends and awaits one reply. */
export function openWebSocket(port: number, path: string): Promise<WsClient> {
  return new Promise((resolve, reject) => {
    const key = randomBytes(16).toString('base64');
    const expected = createHash('sha1').update(`${key}${WS_GUID}`).digest('base64');
    const socket = connect(port, '127.0.0.1');
    socket.setTimeout(5000, () => socket.destroy(new Error('websocket timed out')));
    let head = Buffer.alloc(0);
    const waiting: ((text: string) => void)[] = [];
    const onHandshake = (d: Buffer) => {
      head = Buffer.concat([head, d]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onHandshake);
      const response = head.subarray(0, end).toString();
      if (
        !/^HTTP\/1\.1 101 /.test(response) ||
        !response.toLowerCase().includes(`sec-websocket-accept: ${expected.toLowerCase()}`)
      ) {
        socket.destroy();
        return reject(new Error(`websocket handshake failed:\n${response}`));
      }
      readFrames(socket, false, (text) => waiting.shift()?.(text), head.subarray(end + 4));
      resolve({
        send: (text) =>
          new Promise((res) => {
            waiting.push(res);
            socket.write(frame(text, true));
          }),
        close: () => socket.destroy(),
      });
    };
    socket.on('data', onHandshake);
    socket.on('error', reject);
    socket.on('connect', () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
  });
}

/** Tracks state dirs and pids so that `cleanup()` kills every proxy process group a test left. */
export class Cleanup {
  readonly #dirs: string[] = [];
  readonly #pids = new Set<number>();
  readonly #closers: (() => unknown)[] = [];
  readonly logs: string[] = [];

  stateDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'tshub-proxy-test-'));
    this.#dirs.push(dir);
    return dir;
  }

  pid(pid: number | null | undefined): number {
    if (pid == null) throw new Error('expected a pid');
    this.#pids.add(pid);
    return pid;
  }

  onCleanup(fn: () => unknown): void {
    this.#closers.push(fn);
  }

  /** A node:http backend on a free loopback port, closed at cleanup; counts the connections it got. */
  async serve(
    handler: (req: IncomingMessage, res: ServerResponse) => void,
  ): Promise<{ server: Server; url: string; connections: () => number }> {
    let connections = 0;
    const server = createServer(handler);
    server.on('connection', () => connections++);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    this.onCleanup(() => {
      server.closeAllConnections();
      server.close();
    });
    return {
      server,
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      connections: () => connections,
    };
  }

  logger(): Logger {
    const sink = new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        this.logs.push(chunk.toString());
        cb();
      },
    });
    return createLogger(process.env.TSHUB_TEST_PROXY_LOG ? 'debug' : 'info', sink);
  }

  async cleanup(): Promise<void> {
    for (const fn of this.#closers.splice(0)) await Promise.resolve(fn()).catch(() => {});
    for (const dir of this.#dirs) {
      const pid = readPid(join(dir, 'tshub-proxy.pid'));
      if (pid) this.#pids.add(pid);
    }
    for (const pid of this.#pids) {
      for (const target of [-pid, pid]) {
        try {
          process.kill(target, 'SIGKILL');
        } catch {
          // gone already
        }
      }
    }
    for (const dir of this.#dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  }
}
