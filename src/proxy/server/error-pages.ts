// What the proxy answers when it cannot forward: the error target's page (CHP's `--error-target`:
// GET <target>/<code>?url=<url>, the hub renders it), else a small built-in page.
import { request, STATUS_CODES, type Agent, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';

const MESSAGES: Record<number, string> = {
  404: 'No server is configured at this address.',
  503: 'The server at this address is not responding. It may be starting or stopping; try again shortly.',
};

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The built-in page: JSON for API clients (they asked for it), HTML otherwise. */
function builtin(res: ServerResponse, req: IncomingMessage, code: number): void {
  if (res.headersSent) return void res.destroy();
  const reason = STATUS_CODES[code] ?? 'Error';
  const message = MESSAGES[code] ?? reason;
  const accept = req.headers.accept ?? '';
  if (accept.includes('application/json') && !accept.includes('text/html')) {
    res.writeHead(code, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ status: code, message }));
    return;
  }
  res.writeHead(code, { 'Content-Type': 'text/html; charset=utf-8' });
  res.end(`<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${code} ${escapeHtml(reason)}</title></head>`
    + `<body><h1>${code} ${escapeHtml(reason)}</h1><p>${escapeHtml(message)}</p></body></html>\n`);
}

export function sendError(res: ServerResponse, req: IncomingMessage, code: number, errorTarget: string | null, agent: Agent, log: Logger): void {
  if (res.writableEnded || res.destroyed) return;
  if (!errorTarget) return builtin(res, req, code);
  const url = new URL(`${errorTarget.replace(/\/*$/, '/')}${code}`);
  url.searchParams.set('url', req.url ?? '/');
  const errReq = request(url, { method: 'GET', agent }, (upstream) => {
    if (res.writableEnded || res.destroyed || res.headersSent) return void upstream.resume();
    for (const key of ['content-type', 'content-encoding']) {
      const v = upstream.headers[key];
      if (v !== undefined) res.setHeader(key, v);
    }
    res.writeHead(code);
    upstream.pipe(res);
    upstream.on('error', () => res.destroy());
  });
  errReq.setTimeout(10_000, () => errReq.destroy(new Error('error target did not answer within 10 s')));
  errReq.on('error', (e) => {
    log.error({ err: e.message, url: url.href }, 'cannot get the error page from the error target');
    builtin(res, req, code);
  });
  errReq.end();
}

/** For a failed WebSocket upgrade there is no response object: write an empty HTTP answer and close. */
export function sendUpgradeError(socket: Socket, code: number): void {
  if (socket.writable) socket.end(`HTTP/1.1 ${code} ${STATUS_CODES[code] ?? ''}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
  else socket.destroy();
}
