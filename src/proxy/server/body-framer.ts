import { ChunkedScanner } from './http-parse.ts';

/**
 * Where a message body ends, followed through the bytes as they pass (never decoded): after a known
 * length, at the end of chunked framing, or when the sender closes. `take` says how many bytes of a
 * buffer belong to the body; what follows is the next message (or a peer out of step).
 */
export class BodyFramer {
  #left: number;
  readonly #chunks: ChunkedScanner | null;
  readonly untilClose: boolean;
  done: boolean;

  private constructor(length: number, chunked: boolean, untilClose: boolean) {
    this.#left = length;
    this.#chunks = chunked ? new ChunkedScanner() : null;
    this.untilClose = untilClose;
    this.done = !chunked && !untilClose && length === 0;
  }

  static length(n: number): BodyFramer {
    return new BodyFramer(Math.max(0, n), false, false);
  }

  static chunked(): BodyFramer {
    return new BodyFramer(0, true, false);
  }

  static untilClose(): BodyFramer {
    return new BodyFramer(0, false, true);
  }

  /** How many bytes of `d` from `from` belong to the body; throws on malformed chunked framing. */
  take(d: Buffer, from: number): number {
    if (this.done) return 0;
    if (this.#chunks) {
      const n = this.#chunks.scan(d, from);
      this.done = this.#chunks.done;
      return n;
    }
    if (this.untilClose) return d.length - from;
    const n = Math.min(this.#left, d.length - from);
    this.#left -= n;
    this.done = this.#left === 0;
    return n;
  }
}
