import type { Socket } from 'node:net';

/**
 * The one timer of a client connection: between requests, the keep-alive timeout (announced to the
 * client); while a request is in flight, the proxy's --timeout. Re-armed only when its length changes.
 */
export class ClientTimeouts {
  readonly #socket: Socket;
  readonly #requestMs: number;
  readonly #idleMs: number;
  /** The Keep-Alive header line announcing the idle timeout ('' when there is none). */
  readonly keepAliveHeader: string;
  #armed = -1;

  constructor(socket: Socket, timeoutMs: number, keepAliveTimeoutMs: number) {
    this.#socket = socket;
    this.#requestMs = timeoutMs;
    // As node's server: announce the keep-alive timeout so that clients stop reusing a connection
    // before it, and wait a second longer, so that a request sent just in time is not cut off.
    this.#idleMs = keepAliveTimeoutMs > 0 ? keepAliveTimeoutMs + 1000 : 0;
    this.keepAliveHeader =
      keepAliveTimeoutMs > 0 ? `Keep-Alive: timeout=${Math.floor(keepAliveTimeoutMs / 1000)}\r\n` : '';
    this.idle();
  }

  /** Between requests. */
  idle(): void {
    this.#arm(this.#idleMs);
  }

  /** A request is in flight. */
  busy(): void {
    this.#arm(this.#requestMs || this.#idleMs);
  }

  /** The socket timed out: whether the connection goes (`inFlight`: a request is being served). */
  expired(inFlight: boolean): boolean {
    // Without a request timeout an exchange may take as long as it takes: the idle timer that fired
    // belongs to the state before it.
    if (inFlight && this.#requestMs === 0) {
      this.#socket.setTimeout(this.#armed);
      return false;
    }
    return true;
  }

  #arm(ms: number): void {
    if (this.#armed === ms) return;
    this.#armed = ms;
    this.#socket.setTimeout(ms);
  }
}
