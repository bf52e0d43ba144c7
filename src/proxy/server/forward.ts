// The forwarding engine: one ClientConnection per client socket serves its requests one at a time
// (pipelined ones wait, unread, until the previous answer is done). A request head is parsed here,
// routed by longest prefix, rewritten as one string and written to a pooled target connection; the
// answer streams back as the bytes that arrived, its framing followed only to know where it ends,
// so that the target connection can go back to the pool. Either side being slow pauses the other.
import type { Socket } from 'node:net';
import { answerFraming, connectionHeader, nextResponseHead } from './answer-framing.ts';
import { BodyFramer } from './body-framer.ts';
import { ClientTimeouts } from './client-timeouts.ts';
import type { EngineOptions } from './engine-options.ts';
import { closingAnswer, errorPage, HEALTHZ, pageResponse, type ErrorPage } from './error-pages.ts';
import { HttpError, MAX_HEAD, parseRequestHead, type RequestHead, type ResponseHead } from './http-parse.ts';
import { tokenRefusal } from './bindings-check.ts';
import type { Route } from './route-table.ts';
import { tunnel } from './tunnel.ts';
import { replayable, routingPath, upstreamHead } from './upstream-head.ts';
import type { Upstream, UpstreamUser } from './upstream-pool.ts';

/** A request head must arrive within this long (slow-header attacks), as node's headersTimeout. */
const HEAD_TIMEOUT_MS = 60_000;

export class ClientConnection implements UpstreamUser {
  readonly #socket: Socket;
  readonly #o: EngineOptions;
  readonly #remote: string;
  /** Bytes from the client not consumed yet (a partial head, or pipelined requests). */
  #buf: Buffer | null = null;
  #headSince = 0;
  readonly #timeouts: ClientTimeouts;
  #closed = false;

  // The exchange in flight (one at a time).
  #req: RequestHead | null = null;
  #route: Route | null = null;
  #up: Upstream | null = null;
  #upHead = '';
  #retry = false;
  #reqFramer: BodyFramer | null = null;
  #reqDone = true;
  #resBuf: Buffer | null = null;
  #res: ResponseHead | null = null;
  #resFramer: BodyFramer | null = null;
  #resDone = false;
  /** The target connection cannot be reused after this exchange. */
  #upSpoilt = false;
  /** The client connection closes once this exchange's answer is written. */
  #closeAfter = false;
  /** The answer comes from the proxy itself (error page, health check): the body is discarded. */
  #local = false;

  constructor(socket: Socket, opts: EngineOptions) {
    this.#socket = socket;
    this.#o = opts;
    this.#remote = socket.remoteAddress ?? '';
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.#onData(d));
    socket.on('drain', () => this.#up?.socket.resume());
    // A client that hangs up mid-exchange aborts it, as node's server does (the socket ends itself).
    socket.on('end', () => this.#onClose());
    socket.on('timeout', () => this.#onTimeout());
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.#onClose());
    this.#timeouts = new ClientTimeouts(socket, opts.timeoutMs, opts.keepAliveTimeoutMs);
  }

  #onTimeout(): void {
    if (this.#timeouts.expired(this.#req !== null)) this.#socket.destroy();
  }

  #onClose(): void {
    this.#closed = true;
    // The client went away: stop the work at the target too; its connection is not reusable.
    const up = this.#up;
    this.#up = null;
    if (up) {
      up.user = null;
      up.socket.destroy();
    }
  }

  #onData(d: Buffer): void {
    if (this.#req && !this.#reqDone) return this.#body(d, 0);
    this.#buf = this.#buf ? Buffer.concat([this.#buf, d]) : d;
    this.#next();
  }

  /** Starts the buffered requests, one at a time, as long as each is answered at once. */
  #next(): void {
    while (this.#buf && !this.#req && !this.#closed) {
      const buf = this.#buf;
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (buf.length > MAX_HEAD) return this.#reject(431);
        const now = Date.now();
        if (this.#headSince === 0) this.#headSince = now;
        else if (now - this.#headSince > HEAD_TIMEOUT_MS) return this.#reject(408);
        return;
      }
      this.#headSince = 0;
      if (end > MAX_HEAD) return this.#reject(431);
      let req: RequestHead;
      try {
        req = parseRequestHead(buf.toString('latin1', 0, end));
      } catch (e) {
        return this.#reject(e instanceof HttpError ? e.status : 400);
      }
      this.#buf = null;
      this.#start(req);
      if (end + 4 < buf.length) {
        if (this.#reqDone)
          this.#buf = this.#buf ? Buffer.concat([buf.subarray(end + 4), this.#buf]) : buf.subarray(end + 4);
        else this.#body(buf, end + 4);
      }
    }
    if (this.#buf && this.#req) this.#socket.pause(); // pipelined: read on once the answer in flight is done
  }

  /** A malformed request: answer and close (the rest of the stream cannot be trusted). */
  #reject(status: number): void {
    this.#buf = null;
    this.#socket.pause();
    this.#socket.end(closingAnswer(status));
    this.#closed = true;
  }

  #start(req: RequestHead): void {
    this.#req = req;
    this.#timeouts.busy();
    this.#reqFramer = req.chunked ? BodyFramer.chunked() : BodyFramer.length(req.contentLength);
    this.#reqDone = this.#reqFramer.done;
    this.#res = null;
    this.#resBuf = null;
    this.#resFramer = null;
    this.#resDone = false;
    this.#upSpoilt = false;
    this.#closeAfter = !req.keepAlive;
    this.#local = false;
    if (req.url === '/_chp_healthz') return this.#answer(HEALTHZ);
    const { log, routes, errorTarget, agent } = this.#o;
    const refused = tokenRefusal(req, this.#o, this.#remote);
    if (refused) return req.upgrade ? this.#upgradeFailed(403, refused) : this.#answer(refused);
    const route = routes.lookup(routingPath(req.url));
    if (!route) {
      log.warn({ method: req.method, url: req.url.split('?')[0] }, '404 no route');
      if (req.upgrade) return this.#upgradeFailed(404);
      this.#local = true;
      void errorPage(404, req.url, req.accept, errorTarget, agent, log).then((p) => this.#answer(p));
      return;
    }
    this.#route = route;
    this.#upHead = upstreamHead(req, route.target, this.#remote, this.#o.xForward);
    this.#retry = replayable(req);
    this.#send();
  }

  #send(): void {
    const req = this.#req!;
    // Upgraded connections leave the pool for good, so they are not taken from it.
    const up = this.#o.pool.acquire(this.#route!.target, this, !req.upgrade);
    this.#up = up;
    if (this.#o.proxyTimeoutMs > 0) up.socket.setTimeout(this.#o.proxyTimeoutMs);
    up.socket.write(this.#upHead, 'latin1');
  }

  /** Request body bytes in `d` from `from`: forwarded (or discarded); what follows is the next request. */
  #body(d: Buffer, from: number): void {
    let n: number;
    try {
      n = this.#reqFramer!.take(d, from);
    } catch {
      // Framing gone wrong mid-body: neither connection can be trusted any more.
      this.#socket.destroy();
      return;
    }
    if (this.#reqFramer!.done) this.#reqDone = true;
    const up = this.#up;
    if (n > 0 && up && !this.#local) {
      if (!up.socket.write(from === 0 && n === d.length ? d : d.subarray(from, from + n))) this.#socket.pause();
    }
    if (!this.#reqDone) return;
    if (from + n < d.length) {
      this.#buf = d.subarray(from + n);
      this.#socket.pause();
    }
    if (this.#resDone) this.#finish();
  }

  onUpstreamDrain(): void {
    if (this.#req && !this.#reqDone) this.#socket.resume();
  }

  onUpstreamTimeout(): void {
    if (this.#res) return; // only the wait for the response head is limited
    const up = this.#up!;
    this.#up = null;
    up.user = null;
    up.socket.destroy();
    this.#failed(Object.assign(new Error(`no answer within ${this.#o.proxyTimeoutMs} ms`), { code: 'ETIMEDOUT' }));
  }

  onUpstreamData(d: Buffer): void {
    if (this.#res) return this.#resBody(d, 0);
    let buf = this.#resBuf ? Buffer.concat([this.#resBuf, d]) : d;
    for (;;) {
      let head: ReturnType<typeof nextResponseHead>;
      try {
        head = nextResponseHead(buf);
      } catch (e) {
        return this.#upstreamBroken((e as Error).message);
      }
      if (!head) {
        this.#resBuf = buf;
        return;
      }
      const { res, rest } = head;
      if (res.status === 101 && this.#req!.upgrade) return this.#tunnel(buf);
      if (res.status >= 100 && res.status < 200) {
        // Interim answers (100 Continue, 103 Early Hints) go to a client that understands them.
        if (res.status !== 101 && this.#req!.minor === 1) this.#socket.write(`${res.text}\r\n`, 'latin1');
        if (res.status === 101) return this.#upstreamBroken('101 to a request that asked for no upgrade');
        buf = buf.subarray(rest);
        if (buf.length === 0) {
          this.#resBuf = null;
          return;
        }
        continue;
      }
      this.#resBuf = null;
      this.#respond(res, buf, rest);
      return;
    }
  }

  #respond(res: ResponseHead, buf: Buffer, rest: number): void {
    const req = this.#req!;
    this.#res = res;
    if (this.#o.proxyTimeoutMs > 0) this.#up!.socket.setTimeout(0);
    const framing = answerFraming(req, res, this.#closeAfter);
    this.#resFramer = framing.framer;
    this.#resDone = framing.framer.done;
    this.#closeAfter = framing.closeAfter;
    this.#upSpoilt = framing.spoilt;
    const conn = connectionHeader(req, this.#closeAfter, this.#timeouts.keepAliveHeader);
    if (res.status < 300) this.#route!.lastActivity = Date.now();
    const head = `${res.text}${framing.header}${conn}\r\n`;
    const n = rest < buf.length ? this.#resTake(buf, rest) : 0;
    if (n < 0) return;
    // Head and what arrived of the body in one buffer: one write, one syscall.
    const out = Buffer.allocUnsafe(head.length + n);
    out.write(head, 0, 'latin1');
    if (n > 0) buf.copy(out, head.length, rest, rest + n);
    if (!this.#socket.write(out)) this.#up?.socket.pause();
    if (this.#resDone) this.#responseDone();
  }

  /** Follows the response framing over `d` from `from`: how many bytes belong to the body, or -1 (broken). */
  #resTake(d: Buffer, from: number): number {
    if (this.#resDone) {
      this.#upSpoilt = true; // bytes beyond the end of the answer: the target is out of step
      return 0;
    }
    let n: number;
    try {
      n = this.#resFramer!.take(d, from);
    } catch (e) {
      this.#upstreamBroken((e as Error).message);
      return -1;
    }
    if (this.#resFramer!.done) this.#resDone = true;
    if (from + n < d.length) this.#upSpoilt = true;
    return n;
  }

  #resBody(d: Buffer, from: number): void {
    const n = this.#resTake(d, from);
    if (n < 0) return;
    if (n > 0 && !this.#socket.write(from === 0 && n === d.length ? d : d.subarray(from, from + n)))
      this.#up?.socket.pause();
    if (this.#resDone) this.#responseDone();
  }

  #responseDone(): void {
    if (this.#res!.status < 300) this.#route!.lastActivity = Date.now();
    if (this.#reqDone) this.#finish();
    // else: the rest of the request body still goes to the target (which may not read it).
  }

  /** The exchange is complete both ways: recycle the target connection, serve the next request. */
  #finish(): void {
    const up = this.#up;
    this.#up = null;
    this.#req = null;
    this.#route = null;
    this.#res = null;
    // A body delimited by the close leaves nothing to reuse.
    const spoilt = this.#upSpoilt || this.#resFramer?.untilClose === true;
    this.#resFramer = null;
    this.#reqFramer = null;
    if (up) {
      if (spoilt) {
        up.user = null;
        up.socket.destroy();
      } else {
        this.#o.pool.release(up);
      }
    }
    if (this.#closed) return;
    if (this.#closeAfter) {
      this.#closed = true;
      this.#socket.end();
      return;
    }
    this.#timeouts.idle();
    this.#socket.resume();
    if (this.#buf) this.#next();
  }

  onUpstreamGone(err: NodeJS.ErrnoException | null): void {
    const up = this.#up;
    this.#up = null;
    if (this.#res) {
      if (this.#resFramer?.untilClose) {
        this.#resDone = true;
        this.#reqDone = true; // the target is gone: nothing more of the request goes anywhere
        return this.#finish();
      }
      if (this.#resDone) {
        // Answered in full, but the target hung up before taking the whole request body.
        this.#closeAfter = true;
        this.#reqDone = true;
        return this.#finish();
      }
      // A target dying mid-body cannot become a 503 any more: cut the client off so it sees a short body.
      return void this.#socket.destroy();
    }
    // A pooled connection the target closed while idle: resend once on a fresh one.
    if (up?.reused && this.#retry && this.#resBuf === null) {
      this.#retry = false;
      return this.#send();
    }
    this.#failed(
      err ?? Object.assign(new Error('the target closed the connection without answering'), { code: 'ECONNRESET' }),
    );
  }

  #upstreamBroken(why: string): void {
    const up = this.#up;
    this.#up = null;
    if (up) {
      up.user = null;
      up.socket.destroy();
    }
    if (this.#res) return void this.#socket.destroy();
    this.#failed(Object.assign(new Error(why), { code: 'EPROTO' }));
  }

  /** The target could not be reached or did not answer: 503 (or the error target's page). */
  #failed(err: NodeJS.ErrnoException): void {
    const req = this.#req!;
    const { log, errorTarget, agent } = this.#o;
    log.error(
      { code: err.code, method: req.method, url: req.url.split('?')[0], target: this.#route?.target.href },
      `503 ${err.message}`,
    );
    if (req.upgrade) return this.#upgradeFailed(503);
    this.#local = true;
    this.#resBuf = null;
    void errorPage(503, req.url, req.accept, errorTarget, agent, log).then((p) => this.#answer(p));
  }

  /** Writes an answer of the proxy's own; a request body not fully read yet means closing after. */
  #answer(page: ErrorPage): void {
    if (this.#closed) return;
    this.#local = true;
    if (!this.#reqDone) this.#closeAfter = true;
    this.#socket.write(pageResponse(page, this.#closeAfter, this.#req!.method === 'HEAD'));
    this.#reqDone = true;
    this.#finish();
  }

  /** For a failed WebSocket upgrade: an empty answer (or the page given), and the connection closed. */
  #upgradeFailed(status: number, page?: ErrorPage): void {
    this.#closed = true;
    this.#socket.end(page ? pageResponse(page, true, false) : closingAnswer(status));
  }

  /** The target accepted the upgrade: from now on both connections are one byte tunnel. */
  #tunnel(answer: Buffer): void {
    const up = this.#up!;
    const route = this.#route!;
    this.#up = null;
    this.#req = null;
    this.#closed = true;
    this.#o.pool.detach(up);
    // Bytes the client sent right after its handshake belong to the upgraded stream.
    const early = this.#buf;
    this.#buf = null;
    tunnel(this.#socket, up.socket, answer, early, () => (route.lastActivity = Date.now()));
  }
}
