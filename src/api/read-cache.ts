import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../auth/principal.ts';
import type { WriteClock } from '../db/write-clock.ts';

type Body = ReturnType<FastifyReply['serialize']>;

interface Entry {
  writes: number;
  at: number;
  body: Body;
}

/** Distinct answers kept per caller; a client walking many pages keeps only its latest ones. */
const PER_CALLER = 32;
/**
 * The longest an answer is reused even with no write seen: the bound on missing another process's write
 * where the database cannot report one (PostgreSQL).
 */
const MAX_AGE_MS = 2000;

/**
 * Serialized answers of the reads clients repeat: whoami, which every singleuser server, service and
 * script asks to check a token, and the user listings dashboards and the culler poll. An answer is reused
 * for the same caller and the same request while no write has reached the database since it was read
 * (`WriteClock`), so it is byte for byte what reading again would give.
 */
export class ReadCache {
  readonly #writes: WriteClock;
  // Principals live as long as their token's or session's cache entry; their answers go with them.
  readonly #answers = new WeakMap<Principal, Map<string, Entry>>();

  constructor(writes: WriteClock) {
    this.#writes = writes;
  }

  /**
   * The JSON answer for `caller` to the request `key` stands for: kept, or made by `read` and serialized
   * with the route's own response schema. `key` must hold everything of the request the answer depends on
   * beyond the caller (see requestKey).
   */
  async answer(reply: FastifyReply, caller: Principal, key: string, read: () => Promise<unknown>): Promise<Body> {
    reply.type('application/json; charset=utf-8');
    let answers = this.#answers.get(caller);
    const writes = this.#writes.now();
    const now = Date.now();
    const kept = answers?.get(key);
    if (kept && kept.writes === writes && now - kept.at < MAX_AGE_MS) return kept.body;
    const body = reply.serialize(await read());
    // A write during the read may or may not be in it: use the answer once, keep nothing.
    if (this.#writes.now() !== writes) return body;
    if (!answers) {
      answers = new Map();
      this.#answers.set(caller, answers);
    }
    answers.delete(key);
    if (answers.size >= PER_CALLER) answers.delete(answers.keys().next().value!);
    answers.set(key, { writes, at: now, body });
    return body;
  }
}

/** What an answer depends on in a request besides its caller: the URL, and how it was asked for. */
export function requestKey(req: FastifyRequest): string {
  return `${req.protocol}://${req.host}${req.url}\n${req.headers.accept ?? ''}`;
}
