/** Runs at most `n` of the given tasks at once (0 = no limit): bounds the requests the culler has in flight. */
export function createLimiter(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  if (n <= 0) return (task) => task();
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (running >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    else running++;
    try {
      return await task();
    } finally {
      // Hand the slot straight to the next waiter, so `running` never dips and lets a newcomer jump the queue.
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}
