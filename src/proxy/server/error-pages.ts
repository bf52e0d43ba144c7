// What the proxy answers when it cannot forward: the error target's page (CHP's `--error-target`:
// GET <target>/<code>?url=<url>, the hub renders it), else a small built-in page.
import { request, STATUS_CODES, type Agent } from 'node:http';
import type { Logger } from 'pino';

const MESSAGES: Record<number, string> = {
  404: 'No server is configured at this address.',
  503: 'The server at this address is not responding. It may be starting or stopping; try again shortly.',
};

// An error page is a small document: a larger one is not buffered, the built-in page is used instead.
const MAX_PAGE = 1024 * 1024;

export interface ErrorPage {
  status: number;
  /** `Name: value\r\n` lines (content type and encoding). */
  headers: string;
  body: Buffer;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The built-in page: JSON for API clients (they asked for it), HTML otherwise. */
function builtin(code: number, accept: string): ErrorPage {
  const reason = STATUS_CODES[code] ?? 'Error';
  const message = MESSAGES[code] ?? reason;
  if (accept.includes('application/json') && !accept.includes('text/html')) {
    return {
      status: code,
      headers: 'Content-Type: application/json\r\n',
      body: Buffer.from(JSON.stringify({ status: code, message })),
    };
  }
  return {
    status: code,
    headers: 'Content-Type: text/html; charset=utf-8\r\n',
    body: Buffer.from(
      `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${code} ${escapeHtml(reason)}</title></head>` +
        `<body><h1>${code} ${escapeHtml(reason)}</h1><p>${escapeHtml(message)}</p></body></html>\n`,
    ),
  };
}

/** The page for `code` on a request for `url`; never fails (falls back to the built-in page). */
export function errorPage(
  code: number,
  url: string,
  accept: string,
  errorTarget: string | null,
  agent: Agent,
  log: Logger,
): Promise<ErrorPage> {
  if (!errorTarget) return Promise.resolve(builtin(code, accept));
  const target = new URL(`${errorTarget.replace(/\/*$/, '/')}${code}`);
  target.searchParams.set('url', url);
  return new Promise((resolve) => {
    const fallback = (why: string) => {
      log.error({ err: why, url: target.href }, 'cannot get the error page from the error target');
      resolve(builtin(code, accept));
    };
    const req = request(target, { method: 'GET', agent }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (d: Buffer) => {
        size += d.length;
        if (size > MAX_PAGE) return void req.destroy(new Error('error page too large'));
        chunks.push(d);
      });
      res.on('end', () => {
        let headers = '';
        for (const [name, key] of [
          ['Content-Type', 'content-type'],
          ['Content-Encoding', 'content-encoding'],
        ] as const) {
          const v = res.headers[key];
          if (v !== undefined) headers += `${name}: ${v}\r\n`;
        }
        resolve({ status: code, headers, body: Buffer.concat(chunks) });
      });
      res.on('error', (e) => fallback(e.message));
    });
    req.setTimeout(10_000, () => req.destroy(new Error('error target did not answer within 10 s')));
    req.on('error', (e) => fallback(e.message));
    req.end();
  });
}

/** The whole response for `page`, with the framing and connection headers the engine chose (no body for HEAD). */
export function pageResponse(page: ErrorPage, close: boolean, head: boolean): Buffer {
  const text = `HTTP/1.1 ${page.status} ${STATUS_CODES[page.status] ?? ''}\r\n${page.headers}Content-Length: ${page.body.length}\r\n${close ? 'Connection: close\r\n' : ''}\r\n`;
  return head ? Buffer.from(text, 'latin1') : Buffer.concat([Buffer.from(text, 'latin1'), page.body]);
}

/** An empty answer after which the connection closes: for requests that cannot be served or trusted. */
export function closingAnswer(status: number): string {
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`;
}

/** `/_chp_healthz`: the proxy's own health answer, as configurable-http-proxy gives it. */
export const HEALTHZ: ErrorPage = {
  status: 200,
  headers: 'Content-Type: application/json\r\n',
  body: Buffer.from('{"status":"OK"}'),
};
