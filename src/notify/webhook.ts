import { createHmac, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';

export interface WebhookTarget {
  url: string;
  secret: string;
  max_attempts: number;
}

/** Timing of deliveries; tests shorten it. */
export interface WebhookTiming {
  /** First retry delay; it doubles per attempt up to maxDelayMs. */
  firstDelayMs: number;
  maxDelayMs: number;
  /** One attempt's limit. */
  timeoutMs: number;
}

export const DEFAULT_WEBHOOK_TIMING: WebhookTiming = { firstDelayMs: 1000, maxDelayMs: 60_000, timeoutMs: 10_000 };

/** The signature header's value: HMAC-SHA256 of the exact body bytes under the shared secret, as GitHub's webhooks. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

/** A refusal that another attempt may fix: throttled or a server error. Other 4xx mean the request itself is wrong. */
const retryable = (status: number) => status === 429 || status >= 500;

/**
 * POSTs one event as JSON, signed (`Tshub-Signature-256`), naming its type (`Tshub-Event`) and a delivery
 * id that stays the same across retries (`Tshub-Delivery`, so a receiver can drop duplicates). A network
 * error, 429 or 5xx is retried with a doubling delay, at most `max_attempts` times in all. Returns whether
 * the receiver took it (2xx).
 */
export async function deliverWebhook(
  target: WebhookTarget,
  type: string,
  event: unknown,
  log: Logger,
  timing: WebhookTiming = DEFAULT_WEBHOOK_TIMING,
): Promise<boolean> {
  const body = JSON.stringify(event);
  const delivery = randomUUID();
  let delay = timing.firstDelayMs;
  for (let attempt = 1; attempt <= target.max_attempts; attempt++) {
    let why: string;
    try {
      const res = await fetch(target.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'tshub-webhook',
          'tshub-event': type,
          'tshub-delivery': delivery,
          'tshub-signature-256': signBody(target.secret, body),
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(timing.timeoutMs),
      });
      await res.body?.cancel();
      if (res.ok) return true;
      why = `status ${res.status}`;
      if (!retryable(res.status)) {
        log.error({ type, delivery, status: res.status }, `webhook refused the ${type} event; not retried`);
        return false;
      }
    } catch (err) {
      why = (err as Error).message;
    }
    if (attempt === target.max_attempts) {
      log.error({ type, delivery, attempts: attempt, why }, `webhook delivery of ${type} failed; giving up`);
      return false;
    }
    log.warn({ type, delivery, attempt, why, retry_ms: delay }, `webhook delivery of ${type} failed; retrying`);
    await sleep(delay);
    delay = Math.min(delay * 2, timing.maxDelayMs);
  }
  return false;
}
