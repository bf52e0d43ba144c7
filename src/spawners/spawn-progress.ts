import type { ProgressEvent } from './spawner.ts';

/**
 * The progress events of one start, readable by any number of listeners: each iteration replays what
 * happened so far, then follows until end(). A listener that comes late still sees the whole story.
 */
export class SpawnProgress {
  #events: ProgressEvent[] = [];
  #ended = false;
  #wake: (() => void)[] = [];

  push(message: string): void {
    if (this.#ended) return;
    this.#events.push({ message });
    this.#notify();
  }

  end(): void {
    this.#ended = true;
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = [];
    for (const w of wake) w();
  }

  async *events(): AsyncGenerator<ProgressEvent> {
    let i = 0;
    for (;;) {
      while (i < this.#events.length) yield this.#events[i++]!;
      if (this.#ended) return;
      await new Promise<void>((resolve) => this.#wake.push(resolve));
    }
  }
}
