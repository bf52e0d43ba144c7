import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import v8 from 'node:v8';
import { startMemoryTrim } from './memory-trim.ts';

const youngBytes = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.physical_space_size;

/** Allocates like start-up does (many objects, a share surviving a while), which grows V8's young generation. */
function growYoungGeneration(): void {
  let keep: object[] = [];
  for (let i = 0; i < 3e6; i++) {
    const o = { i, list: [i] };
    if (i % 3 === 0) keep.push(o);
    if (keep.length > 2e5) keep = [];
  }
}

test('a trim gives back the young generation that a burst of allocations grew', () => {
  const trimmer = startMemoryTrim({ checkEveryMs: 3_600_000 });
  try {
    growYoungGeneration();
    const grown = youngBytes();
    assert.ok(grown > 8 * 1024 * 1024, `the burst grew the young generation (${grown} bytes)`);
    trimmer.trim();
    assert.ok(youngBytes() < grown / 4, `trimmed from ${grown} to ${youngBytes()} bytes`);
    assert.equal(trimmer.trims, 1);
  } finally {
    trimmer.stop();
  }
});

test('it trims once right after start, then again only when idle after the heap grew', async () => {
  const trimmer = startMemoryTrim({ checkEveryMs: 200, minGrowthBytes: 4 * 1024 * 1024 });
  try {
    // The start-up trim waits for the work already queued: a turn of the event loop, however loaded the machine.
    await new Promise((r) => setImmediate(r));
    assert.equal(trimmer.trims, 1, 'the start-up trim');
    await sleep(500);
    assert.equal(trimmer.trims, 1, 'idle, but nothing grew: no trim');
    growYoungGeneration();
    const deadline = Date.now() + 5000;
    while (trimmer.trims < 2 && Date.now() < deadline) await sleep(50);
    assert.equal(trimmer.trims, 2, 'idle after growth: trimmed');
  } finally {
    trimmer.stop();
  }
});

test('it does not trim while the process is busy', async () => {
  const trimmer = startMemoryTrim({ checkEveryMs: 100, minGrowthBytes: 0 });
  try {
    await sleep(20);
    const before = trimmer.trims;
    // Busy: nearly all of each interval on the CPU, with the timer still getting its turns.
    const until = Date.now() + 800;
    while (Date.now() < until) {
      const slice = Date.now() + 40;
      while (Date.now() < slice);
      await new Promise((r) => setImmediate(r));
    }
    assert.equal(trimmer.trims, before);
  } finally {
    trimmer.stop();
  }
});

test('while busy, it collects once the heap outgrows what was live by the headroom, freeing what died', async () => {
  const trimmer = startMemoryTrim({ checkEveryMs: 3_600_000, busyCheckEveryMs: 50, headroomBytes: 16 * 1024 * 1024 });
  const used = () => v8.getHeapStatistics().used_heap_size;
  try {
    await new Promise((r) => setImmediate(r));
    const start = trimmer.busyCollections;
    // ~40 MB kept until the next look: more than the headroom over what was live.
    let garbage: string[][] | null = Array.from({ length: 400 }, (_, i) =>
      Array.from({ length: 1000 }, (_, j) => `${i}-${j}-${'x'.repeat(64)}`),
    );
    const peak = used();
    const deadline = Date.now() + 5000;
    while (trimmer.busyCollections === start && Date.now() < deadline) await sleep(20);
    assert.ok(trimmer.busyCollections > start, 'collected once the heap outgrew the headroom');
    assert.equal(garbage.length, 400);
    garbage = null;
    const collected = trimmer.busyCollections;
    for (let i = 0; i < 3 && trimmer.busyCollections === collected; i++) {
      // New garbage after the old died: the next look collects both.
      const more = Array.from({ length: 400 }, (_, k) => Array.from({ length: 1000 }, (_, j) => `${k}+${j}`));
      assert.equal(more.length, 400);
      await sleep(200);
    }
    assert.ok(used() < peak, `what died was freed (${used()} bytes now, ${peak} at the peak)`);
  } finally {
    trimmer.stop();
  }
});
