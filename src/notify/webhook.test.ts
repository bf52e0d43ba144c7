import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { deliverWebhook, signBody } from './webhook.ts';

const FAST = { firstDelayMs: 20, maxDelayMs: 40, timeoutMs: 2000 };
const log = pino({ level: 'silent' });

describe('webhook delivery', () => {
  let server: Server;
  let url: string;
  let answers: number[] = [];
  const seen: { delivery: string; body: string }[] = [];
  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        seen.push({ delivery: String(req.headers['tshub-delivery']), body });
        res.writeHead(answers.shift() ?? 200).end();
      });
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(() => server.close());

  test('the signature is GitHub-style HMAC-SHA256 of the body', () => {
    assert.equal(signBody('k', 'body'), `sha256=${createHmac('sha256', 'k').update('body').digest('hex')}`);
  });

  test('5xx and 429 are retried with the same delivery id, up to max_attempts in all', async () => {
    seen.length = 0;
    answers = [503, 429, 200];
    assert.equal(
      await deliverWebhook({ url, secret: 's'.repeat(16), max_attempts: 3 }, 't', { a: 1 }, log, FAST),
      true,
    );
    assert.equal(seen.length, 3);
    assert.equal(new Set(seen.map((s) => s.delivery)).size, 1);
    seen.length = 0;
    answers = [500, 500, 500, 500];
    assert.equal(await deliverWebhook({ url, secret: 's'.repeat(16), max_attempts: 2 }, 't', {}, log, FAST), false);
    assert.equal(seen.length, 2, 'bounded');
  });

  test('another 4xx is not retried; an unreachable receiver is bounded too', async () => {
    seen.length = 0;
    answers = [400, 200];
    assert.equal(await deliverWebhook({ url, secret: 's'.repeat(16), max_attempts: 5 }, 't', {}, log, FAST), false);
    assert.equal(seen.length, 1);
    const closed = createServer();
    await new Promise<void>((ok) => closed.listen(0, '127.0.0.1', ok));
    const dead = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/`;
    await new Promise<void>((ok) => closed.close(() => ok()));
    const started = Date.now();
    assert.equal(
      await deliverWebhook({ url: dead, secret: 's'.repeat(16), max_attempts: 3 }, 't', {}, log, FAST),
      false,
    );
    assert.ok(Date.now() - started < 2000);
  });
});
