// An upgraded connection (WebSocket) as a byte tunnel between the client and the target.
import type { Socket } from 'node:net';

/**
 * Hands a client connection over from the request engine to a tunnel with the target: `answer` (the
 * target's 101 and anything after it) goes to the client, `early` (what the client sent after its
 * handshake) to the target, and from then on bytes flow both ways untouched.
 */
export function tunnel(client: Socket, target: Socket, answer: Buffer, early: Buffer | null, onData: () => void): void {
  for (const e of ['data', 'drain', 'end', 'timeout'] as const) client.removeAllListeners(e);
  client.setTimeout(0);
  onData();
  client.write(answer);
  if (early) target.write(early);
  client.resume();
  splice(client, target, onData);
}

/** Pipes both ways; either side closing or failing closes the other. */
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
