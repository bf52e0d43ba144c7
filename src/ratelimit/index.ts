export { RateLimiter, type RateLimiterOptions, type RateLimitTrip } from './limiter.ts';
export type { BucketName } from './policy.ts';
