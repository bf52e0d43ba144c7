import type { ClientRequest } from 'node:http';

/**
 * Ends `req` when `signal` aborts, rejecting with the signal's reason. Not http's own `signal` option: that
 * destroys the socket with an error, and a socket still connecting (a TLS handshake) has no error listener
 * yet, so an early abort would be an uncaught exception that stops the hub.
 */
export function endOnAbort(req: ClientRequest, signal: AbortSignal, reject: (reason: unknown) => void): void {
  const abort = () => {
    req.destroy();
    reject(signal.reason);
  };
  signal.addEventListener('abort', abort, { once: true });
  req.on('close', () => signal.removeEventListener('abort', abort));
}
