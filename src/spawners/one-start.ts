import { SpawnProgress } from './spawn-progress.ts';

/**
 * What every spawner does around its own launch and halt: one start per spawner object (a new start needs
 * a new spawner), the progress stream closed when the start settles, and one stop at a time, which first
 * lets a start in flight settle so that it cannot miss what that start began.
 */
export class OneStart {
  readonly progress = new SpawnProgress();
  #started = false;
  #starting: Promise<string> | null = null;
  #stopRequested = false;
  #stopping: Promise<void> | null = null;

  /** True once stop() was called: a launch checks it between its steps and gives up. */
  get stopRequested(): boolean {
    return this.#stopRequested;
  }

  /** For a spawner restored from saved state: its start happened in an earlier hub process. */
  restored(): void {
    this.#started = true;
    this.progress.end();
  }

  async run(launch: () => Promise<string>): Promise<string> {
    if (this.#started) throw new Error('This spawner has already started a server; a new start needs a new spawner');
    this.#started = true;
    this.#starting = launch();
    try {
      return await this.#starting;
    } finally {
      this.#starting = null;
      this.progress.end();
    }
  }

  /** Stops with `halt` once any start in flight has settled; a stop() while one runs joins it. */
  stop(halt: () => Promise<void>): Promise<void> {
    this.#stopping ??= (async () => {
      this.#stopRequested = true;
      if (this.#starting !== null) await this.#starting.catch(() => {});
      await halt();
    })().finally(() => {
      this.#stopping = null;
    });
    return this.#stopping;
  }
}
