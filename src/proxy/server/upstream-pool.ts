// Keep-alive connections to route targets, one LIFO stack per host:port: the most recently used
// socket is reused, so the others go idle and time out. The idle timeout stays under node's 5 s
// server keep-alive, so a target closing an idle socket rarely races a new request on it (and a
// replayable request that meets that race is resent once).
import { connect, type Socket } from 'node:net';
import type { Target } from './route-table.ts';

const IDLE_MS = 4000;
const MAX_IDLE_PER_TARGET = 1024;

/** Whoever uses an upstream socket right now; the socket's listeners are attached once and call it. */
export interface UpstreamUser {
  onUpstreamData(chunk: Buffer): void;
  onUpstreamDrain(): void;
  /** The socket closed, ended or failed (once per use). */
  onUpstreamGone(err: NodeJS.ErrnoException | null): void;
  onUpstreamTimeout(): void;
}

export class Upstream {
  user: UpstreamUser | null = null;
  /** Whether it came from the pool (a reused socket may have been closed by the target meanwhile). */
  reused = false;
  readonly socket: Socket;
  readonly key: string;
  constructor(socket: Socket, key: string) {
    this.socket = socket;
    this.key = key;
  }
}

export class UpstreamPool {
  readonly #idle = new Map<string, Upstream[]>();
  readonly #all = new Set<Socket>();

  /** A pooled connection to `target`, or a new one (connecting; writes are queued until it is up). */
  acquire(target: Target, user: UpstreamUser, pooled = true): Upstream {
    const key = `${target.host}:${target.port}`;
    const stack = pooled ? this.#idle.get(key) : undefined;
    let up: Upstream | undefined;
    while (stack?.length && !up) {
      const u = stack.pop()!;
      if (!u.socket.destroyed && u.socket.readyState === 'open') up = u;
    }
    if (up) {
      up.reused = true;
      up.socket.setTimeout(0);
    } else {
      up = this.#open(target, key);
    }
    up.user = user;
    return up;
  }

  #open(target: Target, key: string): Upstream {
    const socket = connect({ host: target.host, port: target.port, noDelay: true });
    const up = new Upstream(socket, key);
    this.#all.add(socket);
    socket.on('data', (d: Buffer) => {
      if (up.user) up.user.onUpstreamData(d);
      else socket.destroy(); // an idle connection has nothing to say
    });
    socket.on('drain', () => up.user?.onUpstreamDrain());
    socket.on('timeout', () => {
      if (up.user) up.user.onUpstreamTimeout();
      else socket.destroy();
    });
    const gone = (err: NodeJS.ErrnoException | null) => {
      const user = up.user;
      up.user = null;
      if (user) user.onUpstreamGone(err);
      else this.#forget(up);
      socket.destroy();
    };
    socket.on('error', gone);
    socket.on('end', () => gone(null));
    socket.on('close', () => {
      this.#all.delete(socket);
      gone(null);
    });
    return up;
  }

  /** Gives a socket whose exchange ended cleanly back for reuse. */
  release(up: Upstream): void {
    up.user = null;
    const { socket } = up;
    if (socket.destroyed || !socket.readable || !socket.writable) return void socket.destroy();
    let stack = this.#idle.get(up.key);
    if (!stack) {
      stack = [];
      this.#idle.set(up.key, stack);
    }
    if (stack.length >= MAX_IDLE_PER_TARGET) return void socket.destroy();
    if (socket.isPaused()) socket.resume();
    socket.setTimeout(IDLE_MS);
    stack.push(up);
  }

  /** Hands a socket over for good (an upgraded connection): the pool stops listening to it. */
  detach(up: Upstream): void {
    up.user = null;
    for (const e of ['data', 'drain', 'timeout', 'error', 'end'] as const) up.socket.removeAllListeners(e);
    up.socket.setTimeout(0);
  }

  #forget(up: Upstream): void {
    const stack = this.#idle.get(up.key);
    const i = stack ? stack.indexOf(up) : -1;
    if (i >= 0) stack!.splice(i, 1);
    if (stack?.length === 0) this.#idle.delete(up.key);
  }

  destroy(): void {
    for (const s of this.#all) s.destroy();
    this.#idle.clear();
  }
}
