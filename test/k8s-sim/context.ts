// What every part of the simulator reaches through one object, and the timers it must clear on close.
import type { EventRecorder } from './events.ts';
import type { Faults } from './faults.ts';
import type { Kubelet } from './kubelet.ts';
import type { Store } from './store.ts';
import type { Watches } from './watch.ts';

export interface SimContext {
  store: Store;
  kubelet: Kubelet;
  events: EventRecorder;
  watches: Watches;
  faults: Faults;
  /** The pause between two steps of an object's life (scheduling, pull, start, binding). */
  stepMs: number;
  /** A timer cleared when the simulator closes. */
  later(ms: number, fn: () => void): void;
  nextClusterIP(): string;
}

export class Timers {
  private readonly pending = new Set<NodeJS.Timeout>();

  later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.pending.delete(t);
      fn();
    }, ms);
    this.pending.add(t);
  }

  clear(): void {
    for (const t of this.pending) clearTimeout(t);
    this.pending.clear();
  }
}
