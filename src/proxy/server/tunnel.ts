// An upgraded connection (WebSocket) as a byte tunnel between the client and the target.
import type { Socket } from 'node:net';

/** Pipes both ways; either side closing or failing closes the other. */
export function splice(a: Socket, b: Socket, onData: () => void): void {
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
