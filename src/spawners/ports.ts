import { connect, createServer } from 'node:net';
import { randomInt } from 'node:crypto';

const HOST = '127.0.0.1';

/**
 * Ports handed to servers that may not be listening yet (jupyterhub-singleuser binds only after it
 * has reached the hub, seconds later). Two spawns in that window must not get the same port, which a
 * bind test alone cannot see. Port -> time (ms) the reservation lapses.
 */
const reserved = new Map<number, number>();

function isReserved(port: number, now: number): boolean {
  const until = reserved.get(port);
  if (until === undefined) return false;
  if (until > now) return true;
  reserved.delete(port);
  return false;
}

/** Binds `port` on loopback and releases it; resolves with the port bound (useful for 0), or null. */
function tryBind(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(null));
    s.listen({ port, host: HOST, exclusive: true }, () => {
      const bound = (s.address() as { port: number }).port;
      s.close(() => resolve(bound));
    });
  });
}

/**
 * A loopback port that is free now and not promised to another server, reserved for `reserveMs`.
 * With a range, ports are tried from a random point so that restarts do not all pile onto the lowest.
 */
export async function pickPort(range: readonly [number, number] | null, reserveMs: number): Promise<number> {
  const now = Date.now();
  const take = (port: number): number => {
    reserved.set(port, now + reserveMs);
    return port;
  };
  if (range === null) {
    for (let i = 0; i < 20; i++) {
      const port = await tryBind(0);
      if (port !== null && !isReserved(port, now)) return take(port);
    }
    throw new Error('Could not find a free port on 127.0.0.1');
  }
  const [min, max] = range[0] <= range[1] ? range : [range[1], range[0]];
  const size = max - min + 1;
  const offset = randomInt(size);
  for (let i = 0; i < size; i++) {
    const port = min + ((offset + i) % size);
    if (isReserved(port, now)) continue;
    if ((await tryBind(port)) !== null) return take(port);
  }
  throw new Error(`No free port in port_range [${min}, ${max}] on 127.0.0.1`);
}

/** Gives a port back early (its start failed). */
export function releasePort(port: number): void {
  reserved.delete(port);
}

/** Whether something accepts TCP connections on loopback `port` right now. */
export function isListening(port: number, timeoutMs = 200): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ port, host: HOST });
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}
