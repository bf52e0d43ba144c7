import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { test } from 'node:test';
import { isListening, pickPort, releasePort } from './ports.ts';

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

/** Two neighbouring ports that are free now (in the upper half of the port space, outside most ephemeral ranges). */
async function freePair(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const p = 20000 + Math.floor(Math.random() * 10000);
    try {
      const a = await listen(p);
      const b = await listen(p + 1).catch((e) => {
        a.close();
        throw e;
      });
      await new Promise((r) => a.close(r));
      await new Promise((r) => b.close(r));
      return p;
    } catch {
      // taken; try another
    }
  }
  throw new Error('no free pair of ports');
}

test('without a range, any free loopback port, not one already promised', async () => {
  const a = await pickPort(null, 60_000);
  const b = await pickPort(null, 60_000);
  assert.ok(a > 0 && b > 0 && a !== b);
  releasePort(a);
  releasePort(b);
});

test('port_range is honoured, taken and promised ports are skipped, and a full range is an error', async () => {
  const p = await freePair();
  const range: [number, number] = [p, p + 1];
  const taken = await listen(p);
  try {
    assert.equal(await pickPort(range, 60_000), p + 1);
    // p+1 is now promised to a server that may not listen yet; p is bound by someone else.
    await assert.rejects(pickPort(range, 60_000), /No free port in port_range \[\d+, \d+\]/);
    releasePort(p + 1);
    assert.equal(await pickPort(range, 0), p + 1);
    // An expired promise no longer holds the port.
    assert.equal(await pickPort(range, 60_000), p + 1);
  } finally {
    releasePort(p + 1);
    await new Promise((r) => taken.close(r));
  }
});

test('isListening tells an open port from a closed one', async () => {
  const s = await listen(0);
  const port = (s.address() as { port: number }).port;
  assert.equal(await isListening(port), true);
  await new Promise((r) => s.close(r));
  assert.equal(await isListening(port), false);
});
