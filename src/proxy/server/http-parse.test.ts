import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChunkedScanner, HttpError, parseRequestHead, parseResponseHead } from './http-parse.ts';

describe('ChunkedScanner', () => {
  const body = '5\r\nhello\r\n1a;name=x\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nTrailer: 1\r\n\r\n';

  it('finds the end of a chunked body however the bytes are split, and no further', () => {
    const bytes = Buffer.from(`${body}GET /next`);
    for (const step of [1, 2, 3, 7, bytes.length]) {
      const s = new ChunkedScanner();
      let taken = 0;
      for (let i = 0; i < bytes.length && !s.done; i += step)
        taken += s.scan(bytes.subarray(i, Math.min(i + step, bytes.length)), 0);
      assert.equal(s.done, true, `step ${step}`);
      assert.equal(taken, body.length, `step ${step}`);
    }
  });

  it('rejects broken framing', () => {
    for (const bad of ['x\r\n', '5\r\nhelloXX', '5\nhello\r\n', `${'f'.repeat(13)}\r\n`]) {
      assert.throws(() => new ChunkedScanner().scan(Buffer.from(bad), 0), Error, JSON.stringify(bad));
    }
  });
});

describe('parseRequestHead', () => {
  it('keeps forwardable lines verbatim and takes out framing and hop-by-hop ones', () => {
    const h = parseRequestHead(
      'POST /a?b HTTP/1.1\r\nHost: h:81\r\nConnection: keep-alive, X-Drop\r\nX-Drop: 1\r\nContent-Length: 3\r\nX-Keep: "a|b"',
    );
    assert.equal(h.method, 'POST');
    assert.equal(h.url, '/a?b');
    assert.equal(h.contentLength, 3);
    assert.equal(h.host, 'h:81');
    assert.equal(h.headers, 'Host: h:81\r\nX-Keep: "a|b"\r\n');
    assert.equal(h.keepAlive, true);
  });

  it('answers smuggling attempts with 400', () => {
    for (const head of [
      'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nTransfer-Encoding: chunked',
      'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, identity',
      'POST / HTTP/1.0\r\nTransfer-Encoding: chunked',
      'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2',
      'GET / HTTP/1.1\r\nHost: h\r\n X-Folded: 1',
    ]) {
      assert.throws(
        () => parseRequestHead(head),
        (e: unknown) => e instanceof HttpError && e.status === 400,
        head,
      );
    }
  });
});

describe('parseResponseHead', () => {
  it('reads the framing and keeps the other headers', () => {
    const r = parseResponseHead(
      'HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: close\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2',
    );
    assert.equal(r.status, 200);
    assert.equal(r.contentLength, 10);
    assert.equal(r.keepAlive, false);
    assert.equal(r.text, 'HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n');
    const chunked = parseResponseHead('HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 4');
    assert.equal(chunked.chunked, true);
    assert.equal(chunked.contentLength, -1, 'chunked wins over a length');
    assert.equal(chunked.keepAlive, false, 'HTTP/1.0 closes unless it says otherwise');
  });
});
