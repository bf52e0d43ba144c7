import { Type } from 'typebox';
import type { Static } from 'typebox';
import { bool, entry, int, section } from './schema-util.ts';

// Defaults are sized so that no real client ever meets them (see the descriptions), while one
// client hammering the hub is held to a rate the hub serves without noticing. Each bucket is a token
// bucket: `burst` requests may come at once, then `rate_per_minute` refill it evenly.

const limitProperties = (perMinute: number, burst: number) => ({
  rate_per_minute: int(perMinute, 'Requests per minute the bucket refills by (the sustained rate).', 1),
  burst: int(burst, 'Requests the bucket holds: how many may come at once after a quiet spell.', 1),
});

const limit = (perMinute: number, burst: number, description: string) =>
  section(limitProperties(perMinute, burst), description);

// In a role override both numbers are given: a half-stated override would silently mix with the defaults.
const overrideLimit = (description: string) =>
  Type.Optional(
    entry(
      {
        rate_per_minute: Type.Integer({ minimum: 1, description: 'Requests per minute the bucket refills by.' }),
        burst: Type.Integer({ minimum: 1, description: 'Requests the bucket holds.' }),
      },
      description,
    ),
  );

export const RoleRateLimitsSchema = entry(
  {
    api: overrideLimit('Per-token limit for holders of this role.'),
    user: overrideLimit('Per-user (or per-service) limit for holders of this role.'),
    token_create: overrideLimit('Token creation limit for holders of this role.'),
    spawn: overrideLimit('Server start limit for holders of this role.'),
  },
  'Limits for holders of one role; buckets not named keep the defaults.',
);

export const RateLimitsSchema = section(
  {
    enabled: bool(
      true,
      'Whether API requests are rate limited at all. Benchmarks turn this off to compare raw throughput.',
    ),
    api: limit(
      3000,
      1000,
      'Per API token. 50 requests/s sustained and 1000 at once: the idle culler listing 10,000 users in pages of 50 (200 requests) ' +
        'and stopping hundreds of servers, or a single-user server reporting activity, never come near it; a runaway script does.',
    ),
    user: limit(
      6000,
      2000,
      "Per user or service, across all of its tokens and browser sessions together: twice the per-token limit, so a person's " +
        'browser (the admin page polls), their servers and a script can run at once, but minting more tokens buys no more.',
    ),
    unauthenticated: limit(
      600,
      200,
      'Per client address, for API requests without valid credentials (including wrong or expired tokens, which makes guessing ' +
        'tokens slow). Generous enough for many people behind one NAT address checking the hub version.',
    ),
    token_create: limit(
      120,
      60,
      'Per caller, for creating and rotating tokens (each is a database write and a hash): 60 at once covers a workshop loader ' +
        'giving every new user a token, then 2 a second.',
    ),
    spawn: limit(
      120,
      60,
      'Per caller, for starting servers (each starts a process): 60 at once, then 2 a second, is enough to start a workshop; ' +
        'an admin who needs more can be given more through `roles`.',
    ),
    credentials_revoke: limit(
      1,
      10,
      'Per client address, for leaked-token reports (POST /hub/api/credentials/revoke, up to 1,000 strings each): 10 at once, ' +
        'then one a minute (60 an hour, as the public credential-revocation APIs allow). Not changed by `roles`: reports carry no credentials.',
    ),
    roles: Type.Record(Type.String({ minLength: 1 }), RoleRateLimitsSchema, {
      default: {},
      description:
        "Different limits for holders of a role (a role name, e.g. admin or a service's role): { api, user, token_create, spawn }, " +
        'each { rate_per_minute, burst }. A principal with several such roles gets, per bucket, the most generous of them.',
      hint: 'a mapping of role names to limits',
    }),
  },
  'API rate limits (token buckets per token, per user or service, and per client address for requests without credentials), ' +
    'with RateLimit-Policy and RateLimit headers on every API response and 429 with Retry-After when a bucket is empty.',
);

export type RateLimitsConfig = Static<typeof RateLimitsSchema>;
export type LimitConfig = Static<typeof RateLimitsSchema>['api'];
export type RoleRateLimits = Static<typeof RoleRateLimitsSchema>;
