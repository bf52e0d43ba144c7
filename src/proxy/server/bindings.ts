// The bindings `tshub proxy` enforces (issue 21): for each bound token the hub knows, by digest, the
// addresses it may come from and the time it starts. The hub sends the whole set (it is small: only
// tokens someone bound); the proxy checks a request's real peer address, which the hub only sees as a
// forwarded header.
import { randomUUID } from 'node:crypto';
import { type CompiledBinding, compileBinding, type TokenBinding } from '../../tokens/binding.ts';

/** The most bound tokens held (each a BlockList of at most 64 CIDRs): the hub sends no more. */
export const MAX_BINDINGS = 20_000;

export class TokenBindings {
  /** Changes with every process: a hub that sees a new one sends the whole set again. */
  readonly instance = randomUUID();
  #entries = new Map<string, CompiledBinding>();
  /** Being filled by a replacement sent in several parts; swapped in by the last part. */
  #incoming: Map<string, CompiledBinding> | null = null;

  get size(): number {
    return this.#entries.size;
  }

  /**
   * Takes one part of the set: `first` starts a new set, `last` makes it the one enforced (a set in one
   * part is both). Entries over MAX_BINDINGS are dropped; returns whether the part was taken.
   */
  receive(entries: Iterable<[string, TokenBinding]>, first: boolean, last: boolean): boolean {
    if (first) this.#incoming = new Map();
    const into = this.#incoming;
    if (!into) return false;
    for (const [digest, b] of entries) if (into.size < MAX_BINDINGS) into.set(digest, compileBinding(b));
    if (last) {
      this.#entries = into;
      this.#incoming = null;
    }
    return true;
  }

  of(digest: string): CompiledBinding | undefined {
    return this.#entries.get(digest);
  }
}
