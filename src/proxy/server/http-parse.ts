// HTTP/1.1 message heads and body framing for the forwarding engine: strict where a proxy must be
// (two parsers disagreeing on where a request ends is request smuggling), and only as deep as
// forwarding needs: heads are re-emitted as text, bodies are forwarded as the bytes that arrived.

/** Heads larger than this are refused (431), as node's and CHP's 16 KB limit. */
export const MAX_HEAD = 16 * 1024;

// Hop-by-hop headers (RFC 9110 §7.6.1) describe one connection, not the message: they are not
// forwarded, so a client's "Connection: close" does not close a pooled connection to the target.
export const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'proxy-authorization',
  'proxy-authenticate',
]);

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Field values: no control characters but tab (CR, LF and NUL are what smuggling is made of).
const BAD_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/;
const DIGITS = /^\d{1,15}$/;

export class HttpError extends Error {
  readonly status: 400 | 431;
  constructor(status: 400 | 431, message: string) {
    super(message);
    this.status = status;
  }
}

/** What forwarding needs from a request head; `headers` holds the forwardable lines as text. */
export interface RequestHead {
  method: string;
  url: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  minor: number;
  host: string;
  /** `name: value\r\n` lines kept verbatim, hop-by-hop and framing headers left out. */
  headers: string;
  /** -1 when there is no Content-Length. */
  contentLength: number;
  chunked: boolean;
  keepAlive: boolean;
  /** Upgrade requested (Upgrade header and `upgrade` listed in Connection): the head is forwarded whole. */
  upgrade: boolean;
  /** The whole head's header lines, for an upgrade (which keeps the hop-by-hop headers). */
  rawHeaders: string;
  accept: string;
  /** Authorization and Cookie values (several Cookie lines joined by '; '): where tokens travel. */
  authorization: string;
  cookie: string;
  /** The client's X-Forwarded-For/-Port/-Proto values (left out of `headers`: the engine writes them). */
  xff: string | undefined;
  xfport: string | undefined;
  xfproto: string | undefined;
  xfhost: string | undefined;
}

function tokens(value: string): string[] {
  return value
    .toLowerCase()
    .split(',')
    .map((t) => t.trim());
}

/** Parses the request head in `text` (the bytes before CRLFCRLF, latin1); throws HttpError(400). */
export function parseRequestHead(text: string): RequestHead {
  const lineEnd = text.indexOf('\r\n');
  const line = lineEnd < 0 ? text : text.slice(0, lineEnd);
  const sp1 = line.indexOf(' ');
  const sp2 = line.indexOf(' ', sp1 + 1);
  if (sp1 <= 0 || sp2 < 0 || line.indexOf(' ', sp2 + 1) >= 0) throw new HttpError(400, 'bad request line');
  const method = line.slice(0, sp1);
  const url = line.slice(sp1 + 1, sp2);
  const version = line.slice(sp2 + 1);
  if (!TOKEN.test(method)) throw new HttpError(400, 'bad method');
  if (url.charCodeAt(0) !== 47 || BAD_VALUE.test(url) || url.includes(' '))
    throw new HttpError(400, 'bad request target');
  let minor: number;
  if (version === 'HTTP/1.1') minor = 1;
  else if (version === 'HTTP/1.0') minor = 0;
  else throw new HttpError(400, 'unsupported HTTP version');

  const head: RequestHead = {
    method,
    url,
    minor,
    host: '',
    headers: '',
    contentLength: -1,
    chunked: false,
    keepAlive: minor === 1,
    upgrade: false,
    rawHeaders: '',
    accept: '',
    authorization: '',
    cookie: '',
    xff: undefined,
    xfport: undefined,
    xfproto: undefined,
    xfhost: undefined,
  };
  let hosts = 0;
  let connection: string[] | null = null;
  let upgradeHeader = false;
  let te: string | null = null;
  let out = '';
  let start = lineEnd < 0 ? text.length : lineEnd + 2;
  while (start < text.length) {
    let end = text.indexOf('\r\n', start);
    if (end < 0) end = text.length;
    const colon = text.indexOf(':', start);
    if (colon <= start || colon > end) throw new HttpError(400, 'bad header line');
    const name = text.slice(start, colon);
    const value = text.slice(colon + 1, end).trim();
    // A name that is not a token also catches obs-fold (a line starting with a space or tab).
    if (!TOKEN.test(name) || BAD_VALUE.test(value)) throw new HttpError(400, 'bad header');
    const lower = name.toLowerCase();
    // The last line of a head has no CRLF of its own (the blank line was cut off with it).
    const whole = end === text.length ? `${text.slice(start, end)}\r\n` : text.slice(start, end + 2);
    start = end + 2;
    switch (lower) {
      case 'host':
        hosts++;
        head.host = value;
        break;
      case 'content-length': {
        for (const v of value.split(',')) {
          const t = v.trim();
          if (!DIGITS.test(t)) throw new HttpError(400, 'bad content-length');
          const n = Number(t);
          if (head.contentLength >= 0 && head.contentLength !== n)
            throw new HttpError(400, 'differing content-lengths');
          head.contentLength = n;
        }
        head.rawHeaders += whole;
        continue;
      }
      case 'transfer-encoding':
        te = te === null ? value : `${te},${value}`;
        head.rawHeaders += whole;
        continue;
      case 'connection':
        connection = connection ? connection.concat(tokens(value)) : tokens(value);
        head.rawHeaders += whole;
        continue;
      case 'upgrade':
        upgradeHeader = true;
        head.rawHeaders += whole;
        continue;
      case 'accept':
        head.accept = value;
        break;
      case 'authorization':
        head.authorization = value;
        break;
      case 'cookie':
        head.cookie = head.cookie === '' ? value : `${head.cookie}; ${value}`;
        break;
      case 'x-forwarded-for':
        head.xff = head.xff === undefined ? value : `${head.xff},${value}`;
        continue;
      case 'x-forwarded-port':
        head.xfport = head.xfport === undefined ? value : `${head.xfport},${value}`;
        continue;
      case 'x-forwarded-proto':
        head.xfproto = head.xfproto === undefined ? value : `${head.xfproto},${value}`;
        continue;
      case 'x-forwarded-host':
        head.xfhost ??= value;
        break;
      default:
        if (HOP_BY_HOP.has(lower)) {
          head.rawHeaders += whole;
          continue;
        }
    }
    out += whole;
    head.rawHeaders += whole;
  }
  if (hosts > 1 || (minor === 1 && hosts === 0)) throw new HttpError(400, 'missing or repeated Host');
  if (te !== null) {
    if (minor === 0 || te.trim().toLowerCase() !== 'chunked') throw new HttpError(400, 'unsupported transfer-encoding');
    if (head.contentLength >= 0) throw new HttpError(400, 'both content-length and transfer-encoding');
    head.chunked = true;
  }
  if (connection) {
    if (connection.includes('close')) head.keepAlive = false;
    else if (minor === 0 && connection.includes('keep-alive')) head.keepAlive = true;
    head.upgrade = upgradeHeader && connection.includes('upgrade');
    // Headers the client lists in Connection are hop-by-hop too (rare: filter the kept lines again).
    const listed = connection.filter((t) => t !== '' && t !== 'close' && t !== 'keep-alive' && t !== 'upgrade');
    if (listed.length) {
      out = out
        .split('\r\n')
        .filter((l) => l === '' || !listed.includes(l.slice(0, l.indexOf(':')).toLowerCase()))
        .join('\r\n');
    }
  }
  head.headers = out;
  return head;
}

/** What the engine needs from a response head, and the head to send to the client. */
export interface ResponseHead {
  status: number;
  /** The status line and forwardable headers, without framing, Connection, or the final CRLF. */
  text: string;
  /** -1 when absent. */
  contentLength: number;
  chunked: boolean;
  /** The target keeps the connection open after this response. */
  keepAlive: boolean;
}

export function parseResponseHead(text: string): ResponseHead {
  const lineEnd = text.indexOf('\r\n');
  const line = lineEnd < 0 ? text : text.slice(0, lineEnd);
  if (!line.startsWith('HTTP/1.') || (line.charCodeAt(12) !== 32 && line.length !== 12))
    throw new Error(`bad status line from the target: ${line.slice(0, 100)}`);
  const status = Number(line.slice(9, 12));
  if (!(status >= 100 && status <= 999)) throw new Error(`bad status line from the target: ${line.slice(0, 100)}`);
  const res: ResponseHead = {
    status,
    text: `HTTP/1.1${line.slice(8)}\r\n`,
    contentLength: -1,
    chunked: false,
    keepAlive: line.charCodeAt(7) === 49,
  };
  let te: string | null = null;
  let start = lineEnd < 0 ? text.length : lineEnd + 2;
  while (start < text.length) {
    let end = text.indexOf('\r\n', start);
    if (end < 0) end = text.length;
    const colon = text.indexOf(':', start);
    if (colon <= start || colon > end) throw new Error('bad header line from the target');
    const lower = text.slice(start, colon).toLowerCase();
    // The last line of a head has no CRLF of its own (the blank line was cut off with it).
    const whole = end === text.length ? `${text.slice(start, end)}\r\n` : text.slice(start, end + 2);
    start = end + 2;
    if (lower === 'content-length') {
      const v = text
        .slice(colon + 1, end)
        .trim()
        .split(',')[0]!
        .trim();
      if (!DIGITS.test(v)) throw new Error('bad content-length from the target');
      res.contentLength = Number(v);
      continue;
    }
    if (lower === 'transfer-encoding') {
      te = text
        .slice(colon + 1, end)
        .trim()
        .toLowerCase();
      continue;
    }
    if (lower === 'connection') {
      const t = tokens(text.slice(colon + 1, end));
      if (t.includes('close')) res.keepAlive = false;
      else if (t.includes('keep-alive')) res.keepAlive = true;
      continue;
    }
    if (HOP_BY_HOP.has(lower)) continue;
    res.text += whole;
  }
  if (te !== null) {
    res.contentLength = -1;
    // Anything but a final "chunked" is delimited by the target closing the connection.
    if (te === 'chunked' || te.endsWith(',chunked') || te.endsWith(' chunked')) res.chunked = true;
    else res.keepAlive = false;
  }
  return res;
}

// States of the chunked-framing scanner.
const SIZE = 0,
  EXT = 1,
  SIZE_LF = 2,
  DATA = 3,
  DATA_CR = 4,
  DATA_LF = 5,
  TRAILER = 6,
  TRAILER_LF = 7,
  DONE = 8;

/**
 * Follows chunked framing through the bytes as they pass, so the engine knows where the body ends
 * without decoding it: `scan` returns how many bytes of `buf` from `from` belong to the body.
 */
export class ChunkedScanner {
  #state = SIZE;
  #size = 0;
  #digits = 0;
  #left = 0;
  #lineLen = 0;

  get done(): boolean {
    return this.#state === DONE;
  }

  /** Throws on malformed framing. */
  scan(buf: Buffer, from: number): number {
    let i = from;
    const n = buf.length;
    while (i < n && this.#state !== DONE) {
      const c = buf[i]!;
      switch (this.#state) {
        case SIZE: {
          const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
          if (d >= 0) {
            if (++this.#digits > 12) throw new Error('chunk size too large');
            this.#size = this.#size * 16 + d;
          } else if (this.#digits === 0) throw new Error('bad chunk size');
          else if (c === 13) this.#state = SIZE_LF;
          else if (c === 59 || c === 32 || c === 9) this.#state = EXT;
          else throw new Error('bad chunk size');
          i++;
          break;
        }
        case EXT:
          if (c === 13) this.#state = SIZE_LF;
          else if (c === 10 || c === 0) throw new Error('bad chunk extension');
          i++;
          break;
        case SIZE_LF:
          if (c !== 10) throw new Error('bad chunk line end');
          i++;
          if (this.#size === 0) {
            this.#state = TRAILER;
            this.#lineLen = 0;
          } else {
            this.#left = this.#size;
            this.#state = DATA;
          }
          this.#size = 0;
          this.#digits = 0;
          break;
        case DATA: {
          const take = Math.min(this.#left, n - i);
          this.#left -= take;
          i += take;
          if (this.#left === 0) this.#state = DATA_CR;
          break;
        }
        case DATA_CR:
          if (c !== 13) throw new Error('missing CRLF after chunk');
          this.#state = DATA_LF;
          i++;
          break;
        case DATA_LF:
          if (c !== 10) throw new Error('missing CRLF after chunk');
          this.#state = SIZE;
          i++;
          break;
        case TRAILER:
          if (c === 13) this.#state = TRAILER_LF;
          else if (c === 10 || c === 0) throw new Error('bad trailer');
          else if (++this.#lineLen > MAX_HEAD) throw new Error('trailer too long');
          i++;
          break;
        case TRAILER_LF:
          if (c !== 10) throw new Error('bad trailer');
          i++;
          // An empty line ends the trailers and the body; otherwise another trailer line follows.
          this.#state = this.#lineLen === 0 ? DONE : TRAILER;
          this.#lineLen = 0;
          break;
      }
    }
    return i - from;
  }
}
