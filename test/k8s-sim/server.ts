// The simulator's HTTP front: bearer-token authentication, the injected faults and latency, discovery,
// and the dispatch of each core/v1 request to lists, watches, logs and object changes. Loopback only.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SimContext } from './context.ts';
import { discovery } from './discovery.ts';
import { listObjects } from './lists.ts';
import { podLog, trimLog } from './logs.ts';
import { createObject, type DeleteOptions, deleteObject, patchObject, replaceObject } from './objects.ts';
import { type Route, route } from './routes.ts';
import { parseFieldSelector, parseLabelSelector } from './selectors.ts';
import { ApiError, badRequest, noSuchPath, unauthorized, unsupportedMediaType } from './status.ts';
import type { ServingCert } from './tls.ts';

const MAX_BODY = 3 * 1024 * 1024;
const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
];
const OPEN_PATHS = new Set(['/healthz', '/livez', '/readyz', '/version']);

async function readJson(req: IncomingMessage): Promise<unknown> {
  const tooLarge = () => {
    // The rest is read and dropped, so the client gets the answer instead of a reset connection.
    req.resume();
    return new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${MAX_BODY}`);
  };
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw tooLarge();
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString().trim();
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw badRequest(`couldn't get version/kind; json parse error: ${(err as Error).message}`);
  }
}

function send(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function intParam(q: URLSearchParams, key: string): number | undefined {
  const v = q.get(key);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw badRequest(`${key}: Invalid value: "${v}": must be an integer`);
  return n;
}

export class SimServer {
  readonly http: Server;
  /** Open `follow=true` log streams, ended when the simulator closes. */
  private readonly followers = new Set<ServerResponse>();

  private readonly ctx: SimContext;
  private readonly token: string;

  constructor(ctx: SimContext, token: string, tls: ServingCert) {
    this.ctx = ctx;
    this.token = token;
    this.http = createServer(tls, (req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        const status = err instanceof ApiError ? err.status : new ApiError(500, 'InternalError', String(err)).status;
        if (res.headersSent) res.destroy();
        else send(res, status.code, status);
      });
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.http.listen(0, '127.0.0.1', resolve));
    const addr = this.http.address();
    if (addr === null || typeof addr === 'string') throw new Error('no address');
    return `https://127.0.0.1:${addr.port}`;
  }

  async close(): Promise<void> {
    for (const r of this.followers) r.destroy();
    this.ctx.watches.dropAll();
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim');
    const method = req.method ?? 'GET';
    if (!OPEN_PATHS.has(url.pathname) && req.headers.authorization !== `Bearer ${this.token}`) throw unauthorized();
    if (this.ctx.faults.latencyMs > 0) await sleep(this.ctx.faults.latencyMs);
    if (['/healthz', '/livez', '/readyz'].includes(url.pathname)) {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
      return;
    }
    const r = route(method, url.pathname, url.searchParams);
    if (!r) {
      const doc = method === 'GET' ? discovery(url.pathname.replace(/\/$/, ''), req.headers.host ?? '') : undefined;
      if (doc === undefined) throw noSuchPath();
      this.ctx.faults.see({ verb: 'get', resource: '', query: url.search.slice(1) });
      return send(res, 200, doc);
    }
    const resource = r.subresource ? `${r.resource.name}/${r.subresource}` : r.resource.name;
    const fault = this.ctx.faults.see({
      verb: r.verb,
      resource,
      namespace: r.ns,
      name: r.name,
      query: url.search.slice(1),
    });
    if (fault) throw fault;
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
    if (method === 'PATCH' && !PATCH_TYPES.includes(type)) throw unsupportedMediaType(type);
    const body = ['POST', 'PUT', 'PATCH', 'DELETE'].includes(method) ? await readJson(req) : undefined;
    await this.dispatch(r, url.searchParams, req, res, body);
  }

  private async dispatch(
    r: Route,
    q: URLSearchParams,
    req: IncomingMessage,
    res: ServerResponse,
    body: unknown,
  ): Promise<void> {
    const { store } = this.ctx;
    switch (r.verb) {
      case 'list':
        return send(res, 200, listObjects(store, r.resource, r.ns, q));
      case 'watch':
        return this.watch(r, q, res);
      case 'get':
        if (r.subresource === 'log') return this.log(r, q, res);
        return send(res, 200, store.mustGet(r.resource.name, r.ns, r.name!));
      case 'create':
        return send(res, 201, createObject(this.ctx, r.resource, r.ns, body));
      case 'update':
        return send(res, 200, replaceObject(this.ctx, r.resource, r.ns, r.name!, body));
      case 'patch':
        return send(
          res,
          200,
          patchObject(this.ctx, r.resource, r.ns, r.name!, req.headers['content-type'] ?? '', body),
        );
      case 'delete':
        return send(res, 200, deleteObject(this.ctx, r.resource, r.ns, r.name!, deleteOptions(q, body)));
      default: {
        const list = listObjects(store, r.resource, r.ns, q);
        const opts = deleteOptions(q, body);
        list.items = list.items.map((o: { metadata: { name: string; namespace?: string } }) =>
          deleteObject(this.ctx, r.resource, o.metadata.namespace, o.metadata.name, opts),
        );
        return send(res, 200, list);
      }
    }
  }

  private watch(r: Route, q: URLSearchParams, res: ServerResponse): void {
    // Parsed before the stream starts, so a bad selector is a plain 400 like the real server's.
    const labels = parseLabelSelector(q.get('labelSelector'));
    const fields = parseFieldSelector(r.resource.name, q.get('fieldSelector'));
    const rv = q.get('resourceVersion') ?? undefined;
    this.ctx.watches.serve(res, {
      resource: r.resource.name,
      kind: r.resource.kind,
      ns: r.ns,
      labels,
      fields: r.name ? (o) => o.metadata.name === r.name && fields(o) : fields,
      resourceVersion: rv,
      bookmarks: q.get('allowWatchBookmarks') === 'true',
      sendInitialEvents: q.get('sendInitialEvents') === 'true',
      timeoutSeconds: intParam(q, 'timeoutSeconds'),
    });
  }

  private log(r: Route, q: URLSearchParams, res: ServerResponse): void {
    const log = podLog(
      this.ctx.store,
      this.ctx.kubelet,
      r.ns!,
      r.name!,
      q.get('container'),
      q.get('previous') === 'true',
    );
    const text = trimLog(log.text(), intParam(q, 'tailLines'), intParam(q, 'limitBytes'));
    if (q.get('follow') !== 'true') {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end(text);
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
    res.write(text);
    this.followers.add(res);
    // The stream ends with the container, as the kubelet's does.
    const stop = log.follow((chunk) => (chunk ? res.write(chunk) : res.end()));
    res.on('close', () => {
      stop();
      this.followers.delete(res);
    });
  }
}

function deleteOptions(q: URLSearchParams, body: unknown): DeleteOptions {
  const b = (typeof body === 'object' && body !== null ? body : {}) as DeleteOptions;
  return {
    gracePeriodSeconds: intParam(q, 'gracePeriodSeconds') ?? b.gracePeriodSeconds,
    propagationPolicy: q.get('propagationPolicy') ?? b.propagationPolicy,
    preconditions: b.preconditions,
  };
}
