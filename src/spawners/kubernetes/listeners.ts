/** Callbacks by key (a pod's namespace/name): the pod cache and the event store tell the spawners waiting on a pod. */
export class Listeners<V> {
  readonly #byKey = new Map<string, Set<(v: V) => void>>();

  /** Calls `fn` on each emit for `key` until the returned function is called. */
  on(key: string, fn: (v: V) => void): () => void {
    let set = this.#byKey.get(key);
    if (!set) {
      set = new Set();
      this.#byKey.set(key, set);
    }
    set.add(fn);
    return () => {
      set.delete(fn);
      if (set.size === 0 && this.#byKey.get(key) === set) this.#byKey.delete(key);
    };
  }

  has(key: string): boolean {
    return this.#byKey.has(key);
  }

  emit(key: string, v: V): void {
    const set = this.#byKey.get(key);
    if (set) for (const fn of [...set]) fn(v);
  }
}
