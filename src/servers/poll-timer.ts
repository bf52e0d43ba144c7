/**
 * Calls `poll` every `seconds` (never when 0: polling is off), each wait stretched or shortened at
 * random by up to `jitter` of it (JupyterHub's poll_jitter), so polls do not fall into lockstep.
 * The next wait starts when a poll has finished. Returns the function that stops it.
 */
export function schedulePolls(
  seconds: number,
  jitter: number,
  poll: () => Promise<void>,
  random: () => number = Math.random,
): () => void {
  if (seconds <= 0) return () => {};
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const next = (): void => {
    const ms = seconds * 1000 * (1 + jitter * (2 * random() - 1));
    timer = setTimeout(() => {
      void poll()
        .catch(() => {})
        .finally(() => {
          if (!stopped) next();
        });
    }, ms);
    timer.unref();
  };
  next();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
