import type { LimitConfig, RateLimitsConfig, RoleRateLimits } from '../config/schema-rate-limits.ts';
import { makeRate, type Rate } from './bucket.ts';

/** The buckets a principal's requests are charged to (a request without credentials uses `unauthenticated`). */
export interface Limits {
  api: Rate;
  user: Rate;
  token_create: Rate;
  spawn: Rate;
}

export type BucketName = keyof Limits | 'unauthenticated';

const OVERRIDABLE = ['api', 'user', 'token_create', 'spawn'] as const;

const rateOf = (name: string, c: LimitConfig) => makeRate(name, c.rate_per_minute, c.burst);

/**
 * The configured limits, and those of principals holding roles with overrides. Limits are computed
 * once per distinct set of overriding roles, so principals share them (and their header strings).
 */
export class RatePolicy {
  readonly base: Limits;
  readonly unauthenticated: Rate;
  readonly #roles: Map<string, RoleRateLimits>;
  readonly #byRoleSet = new Map<string, Limits>();

  constructor(config: RateLimitsConfig) {
    this.base = {
      api: rateOf('api', config.api),
      user: rateOf('user', config.user),
      token_create: rateOf('token_create', config.token_create),
      spawn: rateOf('spawn', config.spawn),
    };
    this.unauthenticated = rateOf('unauthenticated', config.unauthenticated);
    this.#roles = new Map(Object.entries(config.roles));
  }

  /** False when no role has limits of its own: then nobody's roles need looking up. */
  get hasRoleOverrides(): boolean {
    return this.#roles.size > 0;
  }

  /**
   * Limits for a holder of `roleNames`. For each bucket, the roles that override it decide, and of
   * several the most generous wins (highest rate, highest burst): holding one more role should never
   * cost a principal anything. Buckets no held role overrides keep the defaults.
   */
  forRoles(roleNames: readonly string[]): Limits {
    const overriding = roleNames.filter((r) => this.#roles.has(r)).sort();
    if (overriding.length === 0) return this.base;
    const key = overriding.join('\n');
    let limits = this.#byRoleSet.get(key);
    if (limits === undefined) {
      limits = { ...this.base };
      for (const bucket of OVERRIDABLE) {
        const given = overriding.flatMap((r) => this.#roles.get(r)![bucket] ?? []);
        if (given.length === 0) continue;
        limits[bucket] = makeRate(
          bucket,
          Math.max(...given.map((g) => g.rate_per_minute)),
          Math.max(...given.map((g) => g.burst)),
        );
      }
      this.#byRoleSet.set(key, limits);
    }
    return limits;
  }
}
