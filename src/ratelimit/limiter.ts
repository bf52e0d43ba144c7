import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import type { PermissionCache, Permissions } from '../auth/permissions.ts';
import type { Principal } from '../auth/principal.ts';
import type { RateLimitsConfig } from '../config/schema-rate-limits.ts';
import type { Database } from '../db/index.ts';
import { rateLimited } from '../errors/index.ts';
import { rateClassOf } from '../http/route-policy.ts';
import { roleNamesHeld } from '../repo/roles.ts';
import { BucketTable, remaining, secondsToFull, secondsToNext, type Bucket, type Rate } from './bucket.ts';
import { RatePolicy, type BucketName, type Limits } from './policy.ts';

/** A request refused by a rate limit: what the audit log records. Never holds a credential. */
export interface RateLimitTrip {
  bucket: BucketName;
  /** Seconds the caller was told to wait. */
  retryAfter: number;
  ip: string;
  method: string;
  /** The route's pattern (never the raw URL, which may hold anything). */
  route: string | null;
  principal: { kind: 'user' | 'service'; id: number; name: string } | null;
  tokenId: number | null;
}

export interface RateLimiterOptions {
  db: Kysely<Database>;
  log: Logger;
  /** Limits from role overrides are kept per principal in a cache of these, dropped when permissions change. */
  permissions: Permissions;
  /** Counts every refused request, by bucket. */
  trips: Counter<'bucket'>;
  /**
   * Called for the first refusal of a bucket after it last let a request through, so a client
   * hammering away makes one record per episode, not one per request.
   */
  onTrip?: (trip: RateLimitTrip) => void;
  now?: () => number;
  /** Keys kept per kind of bucket (see BucketTable). */
  maxKeys?: number;
}

type Strict = 'token_create' | 'spawn';
/** Users by their id, services by the negated id: one number key, no string built per request. */
type OwnerKey = number;

const MAX_KEYS = 50_000;

/**
 * Token buckets for the API, in memory per hub process. Every request to a limited route (its
 * `rateLimit` config, see http/route-policy.ts) is charged to one bucket per credential (the token), one
 * per principal (all of a user's or service's tokens and sessions), or, without valid credentials, one
 * per client address; routes of the `token_create` and `spawn` classes also to that stricter bucket. A
 * request passes only if all its buckets have room, and the headers show whichever bucket is closest to
 * empty.
 */
export class RateLimiter {
  readonly policy: RatePolicy;
  readonly #opts: RateLimiterOptions;
  readonly #now: () => number;
  readonly #tokens: BucketTable<number>;
  readonly #owners: BucketTable<OwnerKey>;
  readonly #addresses: BucketTable<string>;
  readonly #strict: Record<Strict, BucketTable<OwnerKey | string>>;
  // Limits per principal when roles have overrides.
  readonly #limitsByOwner: PermissionCache<OwnerKey, Limits>;
  // The buckets of the request being checked (at most three); reused because the check is synchronous.
  readonly #buckets: Bucket[] = [];
  readonly #rates: Rate[] = [];
  #count = 0;

  constructor(config: RateLimitsConfig, opts: RateLimiterOptions) {
    this.policy = new RatePolicy(config);
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
    this.#limitsByOwner = opts.permissions.cache();
    const maxKeys = opts.maxKeys ?? MAX_KEYS;
    this.#tokens = new BucketTable(maxKeys);
    this.#owners = new BucketTable(maxKeys);
    this.#addresses = new BucketTable(maxKeys);
    this.#strict = { token_create: new BucketTable(maxKeys), spawn: new BucketTable(maxKeys) };
  }

  /** A Fastify onRequest hook (it acts on limited routes only); must run after authentication, as it reads req.principal. */
  readonly check = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const rateClass = rateClassOf(req);
    if (rateClass === 'none') return;
    const p = req.principal;
    const limits = p !== null && this.policy.hasRoleOverrides ? await this.#limitsOf(p) : this.policy.base;
    const now = this.#now();
    const strict = rateClass === 'default' ? undefined : rateClass;
    this.#count = 0;
    if (p !== null) {
      const owner = p.kind === 'user' ? p.id : -p.id;
      if (p.token !== null) this.#add(this.#tokens.get(p.token.id, limits.api, now), limits.api);
      this.#add(this.#owners.get(owner, limits.user, now), limits.user);
      if (strict !== undefined) this.#add(this.#strict[strict].get(owner, limits[strict], now), limits[strict]);
    } else {
      this.#add(this.#addresses.get(req.ip, this.policy.unauthenticated, now), this.policy.unauthenticated);
      if (strict !== undefined) this.#add(this.#strict[strict].get(req.ip, limits[strict], now), limits[strict]);
    }

    // Refused: report the bucket that makes the caller wait longest, and take nothing from any bucket.
    let refused = -1;
    let wait = 0;
    for (let i = 0; i < this.#count; i++) {
      const b = this.#buckets[i]!;
      if (b.tokens >= 1) continue;
      const s = secondsToNext(b, this.#rates[i]!);
      if (s > wait) {
        refused = i;
        wait = s;
      }
    }
    if (refused >= 0) {
      const b = this.#buckets[refused]!;
      const rate = this.#rates[refused]!;
      this.#headers(reply, b, rate);
      this.#trip(req, p, b, rate, wait);
      throw rateLimited(rate.name, wait);
    }
    let shown = 0;
    for (let i = 0; i < this.#count; i++) {
      const b = this.#buckets[i]!;
      b.tokens -= 1;
      b.refusing = false;
      if (b.tokens < this.#buckets[shown]!.tokens) shown = i;
    }
    this.#headers(reply, this.#buckets[shown]!, this.#rates[shown]!);
  };

  #add(b: Bucket, rate: Rate): void {
    this.#buckets[this.#count] = b;
    this.#rates[this.#count] = rate;
    this.#count++;
  }

  #headers(reply: FastifyReply, b: Bucket, rate: Rate): void {
    reply.header('RateLimit-Policy', rate.policyHeader);
    reply.header('RateLimit', `"${rate.name}";r=${remaining(b)};t=${secondsToFull(b, rate)}`);
  }

  #trip(req: FastifyRequest, p: Principal | null, b: Bucket, rate: Rate, wait: number): void {
    const bucket = rate.name as BucketName;
    this.#opts.trips.inc({ bucket });
    if (b.refusing) return;
    b.refusing = true;
    const trip: RateLimitTrip = {
      bucket,
      retryAfter: wait,
      ip: req.ip,
      method: req.method,
      route: req.routeOptions.url ?? null,
      principal: p === null ? null : { kind: p.kind, id: p.id, name: p.name },
      tokenId: p?.token?.id ?? null,
    };
    this.#opts.log.warn(
      { bucket, ip: trip.ip, principal: trip.principal?.name, retry_after: wait },
      'rate limit reached',
    );
    try {
      this.#opts.onTrip?.(trip);
    } catch (err) {
      this.#opts.log.error({ err }, 'rate limit trip handler failed');
    }
  }

  #limitsOf(p: Principal): Promise<Limits> {
    return this.#limitsByOwner.through(p.kind === 'user' ? p.id : -p.id, async () =>
      this.policy.forRoles(await roleNamesHeld(this.#opts.db, p.kind, p.id)),
    );
  }
}
