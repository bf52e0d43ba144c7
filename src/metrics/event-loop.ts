import type { Histogram } from 'prom-client';

/** How often the loop is measured (upstream's event_loop_interval_resolution default). */
const RESOLUTION_MS = 50;
/** A stall this long is logged (upstream's event_loop_interval_log_threshold default). */
const LOG_THRESHOLD_S = 1;

/**
 * Measures how late a 50 ms timer fires: the time the event loop was busy elsewhere. As upstream, a delay
 * under twice the resolution cannot be told apart from none and counts as the resolution itself. The
 * timer is unref'd: it never keeps the process alive. Returns the function that stops it.
 */
export function monitorEventLoop(histogram: Histogram, warn: (seconds: number) => void): () => void {
  let last = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    const now = performance.now();
    const elapsed = now - last;
    last = now;
    const delay = elapsed < 2 * RESOLUTION_MS ? RESOLUTION_MS : elapsed - RESOLUTION_MS;
    histogram.observe(delay / 1000);
    if (delay / 1000 >= LOG_THRESHOLD_S) warn(delay / 1000);
    timer = setTimeout(tick, RESOLUTION_MS).unref();
  };
  timer = setTimeout(tick, RESOLUTION_MS).unref();
  return () => clearTimeout(timer);
}
