import type { Logger } from 'pino';
import { spawnFailureLimit } from '../errors/index.ts';

/**
 * `consecutive_failure_limit`: after that many failed starts in a row, something is wrong with the
 * spawner (a broken image, a full cluster). JupyterHub exits so that its supervisor notices; a hub
 * that exits takes the running servers' routes with it, so ours stays up and refuses new starts
 * (503) until it is restarted. Any successful start in between resets the count.
 */
export class FailureLimit {
  readonly #limit: number;
  readonly #log: Logger;
  #failures = 0;

  constructor(limit: number, log: Logger) {
    this.#limit = limit;
    this.#log = log;
  }

  /** Throws the 503 once the limit is reached. */
  check(): void {
    if (this.#limit > 0 && this.#failures >= this.#limit) throw spawnFailureLimit(this.#failures);
  }

  failed(): void {
    this.#failures++;
    if (this.#limit > 0 && this.#failures === this.#limit)
      this.#log.error(
        { failures: this.#failures },
        'too many consecutive failed spawns: refusing new servers until the hub is restarted (consecutive_failure_limit)',
      );
  }

  succeeded(): void {
    this.#failures = 0;
  }
}
