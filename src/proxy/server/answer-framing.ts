// The answer side of an exchange, as pure decisions: where a target's response head ends, and how its
// answer is framed to the client (length, chunks, or the close) and what that means for both
// connections (reuse, keep-alive).
import { BodyFramer } from './body-framer.ts';
import { parseResponseHead, type RequestHead, type ResponseHead } from './http-parse.ts';

/** A target's response head larger than this is not HTTP we can forward. */
const MAX_RESPONSE_HEAD = 64 * 1024;

/** The first response head in `buf` and where what follows it starts; null while incomplete; throws when broken. */
export function nextResponseHead(buf: Buffer): { res: ResponseHead; rest: number } | null {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) {
    if (buf.length > MAX_RESPONSE_HEAD) throw new Error('response head too large');
    return null;
  }
  return { res: parseResponseHead(buf.toString('latin1', 0, end)), rest: end + 4 };
}

export interface AnswerFraming {
  /** The framing header line for the client (Content-Length or Transfer-Encoding), or ''. */
  header: string;
  /** Follows the body from the target to its end. */
  framer: BodyFramer;
  /** The client connection closes once the answer is written. */
  closeAfter: boolean;
  /** The target connection cannot be reused after this exchange. */
  spoilt: boolean;
}

/** How the answer `res` to `req` is framed; `closeAfter` is what the request already asked for. */
export function answerFraming(req: RequestHead, res: ResponseHead, closeAfter: boolean): AnswerFraming {
  let header: string;
  let framer: BodyFramer;
  if (req.method === 'HEAD' || res.status === 204 || res.status === 304) {
    header = res.chunked
      ? 'Transfer-Encoding: chunked\r\n'
      : res.contentLength >= 0
        ? `Content-Length: ${res.contentLength}\r\n`
        : '';
    framer = BodyFramer.length(0);
  } else if (res.chunked) {
    header = 'Transfer-Encoding: chunked\r\n';
    framer = BodyFramer.chunked();
  } else if (res.contentLength >= 0) {
    header = `Content-Length: ${res.contentLength}\r\n`;
    framer = BodyFramer.length(res.contentLength);
  } else {
    // Delimited by the target closing: the client learns the end the same way.
    header = '';
    framer = BodyFramer.untilClose();
    closeAfter = true;
  }
  let spoilt = !res.keepAlive || req.minor === 0;
  // A declined upgrade: what the client sent after its head was meant for the upgraded protocol.
  if (req.upgrade) spoilt = closeAfter = true;
  // An HTTP/1.0 client cannot take chunks: the request went out as 1.0, so none should come.
  if (req.minor === 0 && res.chunked) closeAfter = true;
  return { header, framer, closeAfter, spoilt };
}

/** The Connection header for the client (and `keepAlive`, the Keep-Alive line announcing the idle timeout). */
export function connectionHeader(req: RequestHead, closeAfter: boolean, keepAlive: string): string {
  if (closeAfter) return 'Connection: close\r\n';
  return req.minor === 0 ? `Connection: keep-alive\r\n${keepAlive}` : keepAlive;
}
