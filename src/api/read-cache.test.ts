import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FastifyReply } from 'fastify';
import type { Principal } from '../auth/principal.ts';
import { WriteClock } from '../db/write-clock.ts';
import { ReadCache } from './read-cache.ts';

// What answer() uses of a reply: the content type and the route's serializer.
const reply = { type: () => reply, serialize: (v: unknown) => JSON.stringify(v) } as unknown as FastifyReply;

const caller = (name: string) => ({ kind: 'user', id: 1, name }) as Principal;

/** answer() for `p` and `key`, and whether it had to read. */
async function ask(cache: ReadCache, p: Principal, key: string, body = 'x'.repeat(800)) {
  let read = false;
  const out = await cache.answer(reply, p, key, async () => {
    read = true;
    return { body };
  });
  return { out, read };
}

/** Asks twice, so the answer is kept (an answer is kept the second time its request comes). */
async function keep(cache: ReadCache, p: Principal, key: string, body?: string) {
  await ask(cache, p, key, body);
  return ask(cache, p, key, body);
}

test('an answer is kept only when its request comes a second time', async () => {
  const cache = new ReadCache(new WriteClock(), { maxBytes: 100_000 });
  const ann = caller('ann');
  for (let i = 0; i < 10; i++) assert.equal((await ask(cache, ann, `once-${i}`)).read, true);
  assert.equal(cache.bytes, 0, 'one-off requests keep nothing');
  assert.equal((await ask(cache, ann, 'once-3')).read, true, 'the second time is read, and kept');
  assert.ok(cache.bytes > 0);
  assert.equal((await ask(cache, ann, 'once-3')).read, false, 'the third time is answered from the cache');
  assert.equal((await ask(cache, caller('bob'), 'once-3')).read, true, 'per caller');
});

test('kept answers stay within the byte bound, the oldest going first, whoever they belong to', async () => {
  const cache = new ReadCache(new WriteClock(), { maxBytes: 5000 });
  const ann = caller('ann');
  const bob = caller('bob');
  for (let i = 0; i < 4; i++) await keep(cache, ann, `k${i}`);
  assert.equal((await ask(cache, ann, 'k0')).read, false, 'kept while under the bound');
  for (let i = 0; i < 4; i++) await keep(cache, bob, `k${i}`);
  assert.ok(cache.bytes <= 5000, `${cache.bytes} bytes kept`);
  assert.ok(cache.bytes > 4000, 'as much as fits is kept');
  assert.equal((await ask(cache, bob, 'k3')).read, false, 'the newest answers stay');
  assert.equal((await ask(cache, ann, 'k1')).read, true, "ann's older answers made room");
  assert.ok(cache.bytes <= 5000);
});

test('an answer larger than the whole bound is served but not kept', async () => {
  const cache = new ReadCache(new WriteClock(), { maxBytes: 1000 });
  const ann = caller('ann');
  const big = 'y'.repeat(2000);
  assert.equal((await ask(cache, ann, 'big', big)).out, JSON.stringify({ body: big }));
  assert.equal((await ask(cache, ann, 'big', big)).read, true);
  assert.equal(cache.bytes, 0);
});

test('asking again after a write replaces the answer without counting it twice', async () => {
  const writes = new WriteClock();
  const cache = new ReadCache(writes, { maxBytes: 100_000 });
  const ann = caller('ann');
  await keep(cache, ann, 'k');
  const once = cache.bytes;
  assert.ok(once > 0);
  writes.tick();
  assert.equal((await ask(cache, ann, 'k')).read, true);
  assert.equal(cache.bytes, once);
});

test('turned off, every request is read and nothing is kept', async () => {
  const cache = new ReadCache(new WriteClock(), { enabled: false });
  const ann = caller('ann');
  assert.equal((await ask(cache, ann, 'k')).read, true);
  assert.equal((await ask(cache, ann, 'k')).read, true);
  assert.equal(cache.bytes, 0);
});
