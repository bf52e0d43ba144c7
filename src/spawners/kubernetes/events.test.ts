import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventStore, eventView } from './events.ts';

const raw = (n: number, pod: string, at = Date.now(), kind = 'Pod') => ({
  metadata: { uid: `u${n}`, namespace: 'jhub', name: `${pod}.${n}` },
  involvedObject: { kind, namespace: 'jhub', name: pod },
  type: 'Normal',
  reason: 'Pulling',
  message: `event ${n}`,
  lastTimestamp: new Date(at).toISOString(),
});

test('events of pods: only those the hub cares about, at most max_count, none older than max_age', () => {
  const ours = new Set(['jhub/jupyter-alice']);
  const store = new EventStore({ wanted: (p) => ours.has(p), maxCount: 100, maxAgeMs: 60_000 });
  const seen: string[] = [];
  store.subscribe('jhub/jupyter-alice', (e) => seen.push(e.message));
  for (let i = 0; i < 1000; i++) {
    const v = eventView(raw(i, i % 2 ? 'jupyter-alice' : 'someone-else'));
    if (v) store.upsert(v.uid, v);
  }
  assert.equal(store.size, 100, 'bounded by count');
  assert.equal(seen.length, 500, 'every event of the pod was told as it came');
  assert.ok(store.forPod('jhub/someone-else').length === 0, "other pods' events are not kept");
  assert.equal(store.forPod('jhub/jupyter-alice').at(-1)!.message, 'event 999', 'the newest are kept');

  const old = eventView(raw(5000, 'jupyter-alice', Date.now() - 120_000))!;
  store.upsert(old.uid, old);
  assert.ok(!store.forPod('jhub/jupyter-alice').some((e) => e.uid === old.uid), 'bounded by age');

  store.forget('jhub/jupyter-alice');
  assert.equal(store.size, 0);
  assert.equal(eventView(raw(1, 'x', Date.now(), 'Node')), null, 'only pod events');
});
