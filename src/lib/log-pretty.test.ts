import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { prettyStream } from './log-pretty.ts';

test('turns JSON log records into one readable line each', async () => {
  let out = '';
  const sink = new Writable({
    write(c, _e, d) {
      out += String(c);
      d();
    },
  });
  const s = prettyStream(sink, false);
  s.write(
    `${JSON.stringify({ level: 30, time: '2026-01-02T03:04:05.678Z', name: 'tshub', msg: 'server ready', server: 'alice', seconds: 1.4 })}\n`,
  );
  s.write(
    `${JSON.stringify({ level: 50, time: '2026-01-02T03:04:06.000Z', msg: 'failed', err: { message: 'boom' } })}\nnot json\n`,
  );
  await new Promise((r) => s.end(r));
  assert.equal(
    out,
    '03:04:05 INFO  server ready server=alice seconds=1.4\n03:04:06 ERROR failed err="boom"\nnot json\n',
  );
});
