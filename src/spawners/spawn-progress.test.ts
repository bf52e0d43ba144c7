import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SpawnProgress } from './spawn-progress.ts';

async function collect(it: AsyncIterable<{ message: string }>): Promise<string[]> {
  const out: string[] = [];
  for await (const e of it) out.push(e.message);
  return out;
}

test('every listener gets the events so far, then follows until the end', async () => {
  const p = new SpawnProgress();
  p.push('one');
  const early = collect(p.events());
  await new Promise((r) => setImmediate(r));
  p.push('two');
  p.end();
  p.push('ignored after the end');
  assert.deepEqual(await early, ['one', 'two']);
  assert.deepEqual(await collect(p.events()), ['one', 'two']);
});
