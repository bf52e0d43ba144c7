/**
 * The in-process test hub: the whole hub (database, routes, auth, RBAC, audit) built by `Hub.create`
 * and answered through Fastify's `inject()`, with no proxy, no child process and, unless a test asks,
 * no listening socket. Its `request` has startHub's shape, so a test moves between the two by its
 * setup line; tests of servers, the proxy, restarts and browsers keep the real-process hub.
 */
import type { AddressInfo } from 'node:net';
import { Hub } from '../src/app.ts';
import type { ConfigInput } from '../src/config/index.ts';
import {
  prepareTestHub,
  replyOf,
  requestParts,
  testConfig,
  testHubOf,
  type Reply,
  type RequestOptions,
  type TestHub,
} from './harness.ts';
import { freePort } from './process.ts';

export interface InProcessOptions {
  /**
   * Also listen on a free loopback port (still no proxy), for tests that need raw HTTP (Node's own
   * parser refusals, duplicate headers) or a Browser: its URL is `hub.hubUrl`, and, unless the test
   * sets bind_url, also the public URL (`url`), so the URLs the hub writes lead back to it.
   */
  listen?: boolean;
}

/** Headers fetch adds on its own: startHub's requests carry them, and the hub's answers may depend on them. */
const FETCH_HEADERS: Record<string, string> = {
  accept: '*/*',
  'accept-language': '*',
  'sec-fetch-mode': 'cors',
  'user-agent': 'node',
};

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export async function startInProcessHub(overrides: ConfigInput = {}, opts: InProcessOptions = {}): Promise<TestHub> {
  const s = await prepareTestHub(overrides);
  const port = opts.listen ? await freePort() : 8000;
  // Nothing listens at the proxy API URL (or, without `listen`, the public URL): they only shape the URLs the hub writes.
  const config = testConfig(s, overrides, `http://127.0.0.1:${port}/`, 'http://127.0.0.1:8001');
  let hub: Hub;
  try {
    hub = await Hub.create({ config, baseDir: s.dir, log: s.log });
    await hub.server.ready();
  } catch (err) {
    await s.discard();
    throw err;
  }
  // The background writers a request relies on (last activity, the audit trail), as Hub.start() runs them.
  hub.startBackground();
  if (opts.listen) {
    await hub.server.listen({ host: '127.0.0.1', port: overrides.bind_url ? 0 : port });
    hub.hubUrl = `http://127.0.0.1:${(hub.server.server.address() as AddressInfo).port}/`;
  }
  const url = config.bind_url;

  // Like fetch: follows redirects within the hub, with the same headers (and, as fetch does, a GET after 303 or a redirected POST).
  const request = async (method: string, path: string, opts: RequestOptions = {}): Promise<Reply> => {
    const { headers, body } = requestParts(opts, s.adminToken);
    let target = new URL(path.replace(/^\//, ''), url);
    let payload = body === undefined ? undefined : Buffer.from(body);
    for (let hops = 0; ; hops++) {
      const res = await hub.server.inject({
        method: method as 'GET',
        url: target.pathname + target.search,
        headers: { ...FETCH_HEADERS, host: target.host, ...headers },
        payload,
      });
      const location = res.headers.location;
      if (REDIRECTS.has(res.statusCode) && typeof location === 'string' && hops < 20) {
        const next = new URL(location, target);
        if (next.origin === target.origin) {
          if (res.statusCode === 303 || (method === 'POST' && res.statusCode <= 302)) {
            method = 'GET';
            payload = undefined;
            delete headers['content-type'];
          }
          target = next;
          continue;
        }
      }
      const answer = new Headers();
      for (const [name, value] of Object.entries(res.headers))
        for (const v of [value ?? []].flat()) answer.append(name, String(v));
      return replyOf(res.statusCode, answer, res.body);
    }
  };

  return testHubOf(s, hub, url, request, () => hub.stop());
}
