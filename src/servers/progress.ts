import type { ProgressEvent } from '../spawners/spawner.ts';

export type StreamEvent = ProgressEvent & { ready?: boolean; failed?: boolean; url?: string };

/**
 * The progress messages of one spawn: kept so a late subscriber (the spawn-pending page opened after
 * the start began) sees them all, and ended by a final ready or failed event.
 */
export class ProgressLog {
  readonly events: StreamEvent[] = [];
  #done = false;
  #waiters: (() => void)[] = [];

  get done(): boolean {
    return this.#done;
  }

  push(e: StreamEvent): void {
    if (this.#done) return;
    this.events.push(e);
    if (e.ready || e.failed) this.#done = true;
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Adds a spawner's own progress messages until this log ends. */
  async relay(source: AsyncIterable<ProgressEvent>): Promise<void> {
    try {
      for await (const e of source) {
        if (this.#done) break;
        this.push(e);
      }
    } catch {
      // Progress messages are a courtesy; a spawner failing to give them changes nothing.
    }
  }

  /** Every event from the first, then new ones as they come, until the final one. */
  async *follow(signal?: AbortSignal): AsyncGenerator<StreamEvent> {
    let i = 0;
    for (;;) {
      while (i < this.events.length) yield this.events[i++]!;
      if (this.#done || signal?.aborted) return;
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        signal?.addEventListener('abort', () => resolve(), { once: true });
      });
    }
  }
}
