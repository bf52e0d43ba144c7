import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BodyFramer } from './body-framer.ts';

describe('BodyFramer', () => {
  it('a length spans buffers and stops where the next message begins', () => {
    const f = BodyFramer.length(7);
    assert.equal(f.take(Buffer.from('HEADabcd'), 4), 4);
    assert.equal(f.done, false);
    assert.equal(f.take(Buffer.from('efgGET / HTTP/1.1'), 0), 3);
    assert.equal(f.done, true);
    assert.equal(f.take(Buffer.from('more'), 0), 0, 'nothing more belongs to a finished body');
  });

  it('an empty length is done at once; a negative one counts as empty', () => {
    assert.equal(BodyFramer.length(0).done, true);
    assert.equal(BodyFramer.length(-1).done, true);
  });

  it('chunked framing ends after the last chunk and its trailer, bytes passed through as they are', () => {
    const f = BodyFramer.chunked();
    const wire = Buffer.from('3\r\nabc\r\n0\r\n\r\nNEXT');
    assert.equal(f.take(wire, 0), wire.length - 4);
    assert.equal(f.done, true);
    assert.throws(() => BodyFramer.chunked().take(Buffer.from('zz\r\n'), 0));
  });

  it('until close: every byte belongs to the body and it never ends by itself', () => {
    const f = BodyFramer.untilClose();
    assert.equal(f.take(Buffer.from('abcdef'), 2), 4);
    assert.equal(f.done, false);
    assert.equal(f.untilClose, true);
  });
});
