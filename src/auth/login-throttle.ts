// Failed-login throttling: after max_failures failed password checks for one username (or
// max_failures_per_ip from one client address) within window_seconds, further attempts are refused
// with 429 until the oldest of those failures leaves the window. In memory, per hub process: a
// restart forgets it, which only gives an attacker one more window.
import type { AuthenticatorConfig } from '../config/schema-authenticator.ts';

type Limits = AuthenticatorConfig['login_throttle'];

// Keys kept per table. Beyond it the least recently failing key is forgotten, so an attacker
// cycling through names or addresses costs bounded memory (and loses at most old, stale counts).
const MAX_KEYS = 10_000;
// Names are checked before validation, so a key is cut short to keep every entry small.
const MAX_KEY_LENGTH = 256;

/** Failure times per key, oldest first, at most `limit` of them; re-inserted on each failure so map order is LRU. */
class FailureTable {
  readonly limit: number;
  readonly windowMs: number;
  readonly entries = new Map<string, number[]>();

  constructor(limit: number, windowMs: number) {
    this.limit = limit;
    this.windowMs = windowMs;
  }

  /** Milliseconds until `key` may try again; 0 if it may now. */
  wait(key: string, now: number): number {
    if (this.limit === 0) return 0;
    const times = this.entries.get(key);
    if (!times || times.length < this.limit) return 0;
    const live = times.filter((t) => t + this.windowMs > now);
    if (live.length === 0) this.entries.delete(key);
    else if (live.length < times.length) this.entries.set(key, live);
    return live.length < this.limit ? 0 : live[0]! + this.windowMs - now;
  }

  fail(key: string, now: number): void {
    if (this.limit === 0) return;
    const times = (this.entries.get(key) ?? []).filter((t) => t + this.windowMs > now);
    times.push(now);
    if (times.length > this.limit) times.splice(0, times.length - this.limit);
    this.entries.delete(key);
    this.entries.set(key, times);
    if (this.entries.size > MAX_KEYS) this.entries.delete(this.entries.keys().next().value!);
  }

  clear(key: string): void {
    this.entries.delete(key);
  }
}

/** One per hub, built by the composition root (app.ts) from `authenticator.login_throttle`. */
export class LoginThrottle {
  readonly byName: FailureTable;
  readonly byIp: FailureTable;
  readonly now: () => number;

  constructor(limits: Limits, now: () => number = Date.now) {
    const windowMs = limits.window_seconds * 1000;
    this.byName = new FailureTable(limits.max_failures, windowMs);
    this.byIp = new FailureTable(limits.max_failures_per_ip, windowMs);
    this.now = now;
  }

  /** Whole seconds until this name / address may try again (for Retry-After); 0 if it may now. */
  retryAfter(name: string, ip: string | null): number {
    const now = this.now();
    const ms = Math.max(this.byName.wait(key(name), now), ip ? this.byIp.wait(key(ip), now) : 0);
    return Math.ceil(ms / 1000);
  }

  failure(name: string, ip: string | null): void {
    const now = this.now();
    this.byName.fail(key(name), now);
    if (ip) this.byIp.fail(key(ip), now);
  }

  /** A right password clears the name's failures (not the address's: one account's success says nothing of others). */
  success(name: string): void {
    this.byName.clear(key(name));
  }
}

function key(s: string): string {
  return s.slice(0, MAX_KEY_LENGTH);
}

/** What the login page and the API say while refusing; `seconds` comes from retryAfter. */
export function throttledMessage(seconds: number): string {
  const wait = seconds > 90 ? `${Math.ceil(seconds / 60)} minutes` : `${seconds} second${seconds === 1 ? '' : 's'}`;
  return `Too many failed sign-in attempts. Please wait ${wait} before trying again.`;
}
