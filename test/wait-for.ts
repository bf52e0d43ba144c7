// Polling until a condition holds, for tests that watch real processes (test/services*.test.ts).
import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `probe` every 50 ms until it returns something truthy, which it returns; throws after `ms`. */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 15_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
