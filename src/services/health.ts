import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../config/index.ts';
import { probe } from '../lib/http-probe.ts';
import type { Database } from '../db/index.ts';
import { allServices } from '../repo/services.ts';
import { routeTarget, servicePrefix } from './spec.ts';

const DEFAULT_TIMEOUT_MS = 5000;

export interface HealthOptions {
  k: Kysely<Database>;
  config: Config;
  baseUrl: string;
  log: Logger;
  intervalMs: number;
}

/**
 * Upstream's check_services_health: every service with a url is asked for its prefix (what the proxy
 * forwards to) every minute. Any HTTP answer counts as up; a failure is only logged, never acted on.
 */
export class HealthChecker {
  readonly #o: HealthOptions;
  #timer: NodeJS.Timeout | null = null;
  #inFlight = new Set<Promise<void>>();
  // Aborts checks in flight when the hub stops, so that stopping never waits for a slow service.
  readonly #stopped = new AbortController();

  constructor(o: HealthOptions) {
    this.#o = o;
  }

  start(): void {
    this.#timer = setInterval(() => this.#track(this.checkAll()), this.#o.intervalMs);
    this.#timer.unref();
  }

  #track(p: Promise<unknown>): void {
    const done = p
      .then(
        () => {},
        () => {},
      )
      .finally(() => this.#inFlight.delete(done));
    this.#inFlight.add(done);
  }

  /** Checks one service now, in the background (a service just added, or an external one at start). */
  checkSoon(name: string, url: string): void {
    this.#track(this.check(name, url));
  }

  async check(name: string, url: string): Promise<boolean> {
    const target = new URL(servicePrefix(this.#o.baseUrl, name), routeTarget(url)).toString();
    const seconds = this.#o.config.services.find((s) => s.name === name)?.timeout;
    try {
      const timeout = AbortSignal.timeout(seconds ? seconds * 1000 : DEFAULT_TIMEOUT_MS);
      await probe(target, AbortSignal.any([this.#stopped.signal, timeout]));
      return true;
    } catch (err) {
      if (this.#stopped.signal.aborted) return false;
      const why = (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message;
      this.#o.log.warn(
        { service: name, url: target },
        `Cannot connect to service ${name} at ${target} (${why}). Is it running?`,
      );
      return false;
    }
  }

  async checkAll(): Promise<void> {
    if (this.#stopped.signal.aborted) return;
    const rows = await allServices(this.#o.k);
    await Promise.all(rows.filter((s) => s.url).map((s) => this.check(s.name, s.url!)));
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#stopped.abort();
    await Promise.all(this.#inFlight);
  }
}
