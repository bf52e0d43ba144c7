import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { callerOf } from '../commands/deps.ts';
import type { HubContext } from '../context.ts';
import { rateLimited } from '../errors/index.ts';
import type { HubServer } from '../http/server.ts';
import { BucketTable, makeRate, remaining, secondsToFull, secondsToNext } from '../ratelimit/bucket.ts';
import { LeakIntake } from '../tokens/scan/intake.ts';
import { leakNotifier } from '../tokens/scan/leak-notice.ts';
import { errorResponses } from './schemas.ts';

const MAX_CREDENTIALS = 1000;
// A token is 44 characters; a report may hold other secrets found beside it, but nothing near this long.
const MAX_LENGTH = 1024;

const Body = Type.Object(
  {
    credentials: Type.Array(Type.String({ maxLength: MAX_LENGTH }), {
      minItems: 1,
      maxItems: MAX_CREDENTIALS,
      description: 'Strings found exposed, up to 1,000 a request: tokens of this hub among them are revoked.',
    }),
  },
  { additionalProperties: false },
);
const Accepted = Type.Object({}, { description: 'Accepted: says nothing of whether any string was a valid token.' });

/**
 * The per-address limit of this route alone. The API's limiter (src/ratelimit/) charges requests to tokens,
 * principals and addresses with the API's limits; reports carry no credentials and come rarely, so they get
 * a stricter bucket of their own, charged before the body is read.
 */
function reportLimit(ctx: HubContext): (req: FastifyRequest, reply: FastifyReply) => Promise<void> {
  const { enabled, credentials_revoke: c } = ctx.config.rate_limits;
  const rate = makeRate('credentials_revoke', c.rate_per_minute, c.burst);
  const buckets = new BucketTable<string>(50_000);
  return async (req, reply) => {
    if (!enabled) return;
    const b = buckets.get(req.ip, rate, Date.now());
    reply.header('RateLimit-Policy', rate.policyHeader);
    if (b.tokens < 1) {
      const wait = secondsToNext(b, rate);
      reply.header('RateLimit', `"${rate.name}";r=0;t=${secondsToFull(b, rate)}`);
      ctx.metrics.rateLimitTrips.inc({ bucket: 'credentials_revoke' });
      throw rateLimited(rate.name, wait);
    }
    b.tokens -= 1;
    reply.header('RateLimit', `"${rate.name}";r=${remaining(b)};t=${secondsToFull(b, rate)}`);
  };
}

/**
 * Leak intake (GitHub's credential-revocation shape): anyone who finds tokens of this hub exposed reports
 * them, without credentials. The answer is 202 whatever the strings were; live tokens among them are revoked
 * off the request path (each on record, its owner notified: see src/tokens/scan/intake.ts).
 */
export function registerCredentialsRevokeRoute(app: HubServer, ctx: HubContext, prefix: string): void {
  const intake = new LeakIntake(ctx, leakNotifier(ctx.config, ctx.log));
  app.addHook('onClose', () => intake.close());
  app.post(
    `${prefix}/credentials/revoke`,
    {
      config: { rateLimit: 'none' },
      onRequest: reportLimit(ctx),
      schema: {
        tags: ['tokens'],
        summary: 'Report leaked tokens: live ones are revoked and their owners told (no credentials needed)',
        body: Body,
        response: { 202: Accepted, 400: errorResponses[400], 429: errorResponses[400] },
      },
    },
    async (req, reply) => {
      if (!intake.submit(req.body.credentials, callerOf(req))) throw rateLimited('credentials_revoke', 60);
      return reply.code(202).send({});
    },
  );
}
