import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import type { FastifyBaseLogger } from 'fastify';
import { createLogger } from '../lib/logger.ts';
import { requestLogger } from './request-logger.ts';

function setup(level: string) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write: (chunk, _enc, done) => {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const parent = createLogger(level, sink) as unknown as FastifyBaseLogger;
  let children = 0;
  const child = parent.child.bind(parent);
  parent.child = ((b: Record<string, unknown>, o?: object) => {
    children++;
    return child(b, o);
  }) as typeof parent.child;
  const log = requestLogger.call(null as never, parent, { reqId: 'req-7' }, {}, null as never);
  return { lines, log, children: () => children };
}

test('a request logger makes its child only for a line the level lets through', () => {
  const { lines, log, children } = setup('warn');
  log.info({ path: '/hub/api/user' }, 'request');
  log.debug('details');
  assert.equal(children(), 0, 'nothing logged: no child made');
  assert.equal(lines.length, 0);
  log.warn({ token: 'secret-value', path: '/x' }, 'refused');
  log.error('broken');
  assert.equal(children(), 1, 'one child for the request');
  assert.equal(lines.length, 2);
  assert.equal(lines[0]!.reqId, 'req-7', 'the request id is bound');
  assert.equal(lines[0]!.token, '[redacted]', 'redaction still applies');
  assert.equal(lines[1]!.msg, 'broken');
});

test("its level is the parent's until set, and setting it applies to this request only", () => {
  const { lines, log } = setup('warn');
  assert.equal(log.level, 'warn');
  log.level = 'debug';
  log.debug('now shown');
  assert.equal(lines.length, 1);
  assert.equal(lines[0]!.msg, 'now shown');
});
