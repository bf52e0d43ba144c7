// The request head a target receives: the client's request line and headers (hop-by-hop ones already
// dropped by the parser), the body's framing, and X-Forwarded-* appended as configurable-http-proxy does.
import type { RequestHead } from './http-parse.ts';
import type { Target } from './route-table.ts';

/** The request path, decoded as CHP decodes it for routing (undecodable paths route as they are). */
export function routingPath(url: string): string {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  if (!path.includes('%')) return path;
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** Retrying is only safe when nothing of the request was sent that cannot be sent again. */
export function replayable(req: RequestHead): boolean {
  return (
    (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') &&
    req.contentLength <= 0 &&
    !req.chunked
  );
}

function forwardedPort(host: string): string {
  const colon = host.lastIndexOf(':');
  return colon > host.lastIndexOf(']') && colon >= 0 ? host.slice(colon + 1) : '80';
}

function append(was: string | undefined, value: string): string {
  return was === undefined || was === '' ? value : `${was},${value}`;
}

/** One string, written to the target connection in one go. `remote` is the client's address. */
export function upstreamHead(req: RequestHead, target: Target, remote: string, xForward: boolean): string {
  let head = `${req.method} ${target.path}${req.url} HTTP/1.${req.minor}\r\n${req.upgrade ? req.rawHeaders : req.headers}`;
  if (!req.upgrade) {
    if (req.contentLength >= 0) head += `Content-Length: ${req.contentLength}\r\n`;
    else if (req.chunked) head += 'Transfer-Encoding: chunked\r\n';
    // An HTTP/1.0 client's wish for keep-alive makes the target frame its answer by length.
    else if (req.minor === 0 && req.keepAlive) head += 'Connection: keep-alive\r\n';
  }
  if (xForward) {
    head +=
      `X-Forwarded-For: ${append(req.xff, remote)}\r\nX-Forwarded-Port: ${append(req.xfport, forwardedPort(req.host))}\r\n` +
      `X-Forwarded-Proto: ${append(req.xfproto, req.upgrade ? 'ws' : 'http')}\r\n`;
    if (req.xfhost === undefined) head += `X-Forwarded-Host: ${req.host}\r\n`;
  } else {
    if (req.xff !== undefined) head += `X-Forwarded-For: ${req.xff}\r\n`;
    if (req.xfport !== undefined) head += `X-Forwarded-Port: ${req.xfport}\r\n`;
    if (req.xfproto !== undefined) head += `X-Forwarded-Proto: ${req.xfproto}\r\n`;
  }
  return `${head}\r\n`;
}
