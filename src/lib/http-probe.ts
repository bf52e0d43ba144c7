import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { endOnAbort } from './http-abort.ts';

/** Bodies beyond this are cut: a probe reads a health answer, not a page. */
const MAX_BODY = 64 * 1024;

/**
 * One GET with node's own client, redirects not followed, the body read up to 64 kB. For the hub's health
 * and readiness probes instead of fetch(): loading fetch (node's bundled undici) costs a process ~15 MB of
 * RSS, a quarter of an idle hub, for a few GETs on loopback.
 */
export function probe(url: string, signal: AbortSignal): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const req = (url.startsWith('https:') ? httpsRequest : httpRequest)(url, { method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < MAX_BODY) body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    endOnAbort(req, signal, reject);
    req.on('error', reject);
    req.end();
  });
}
