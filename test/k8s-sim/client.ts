// Test helpers for code that talks to the simulator through @kubernetes/client-node: a connected client,
// the Status of a failed call, a collecting watch, raw HTTPS requests, a pod body and a free loopback port.
import assert from 'node:assert/strict';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { ApiException, CoreV1Api, KubeConfig, Watch } from '@kubernetes/client-node';
import type { K8sSim, Obj } from './index.ts';

export type SimStatus = Obj & { code: number; reason: string; message: string };

/** The Status object of a call that must fail. */
export async function statusOf(p: Promise<unknown>): Promise<SimStatus> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ApiException, String(err));
    return JSON.parse(err.body as string);
  }
  assert.fail('the call succeeded');
}

/** Whether a read answers 404 (false while the object is there). */
export const isGone = (p: Promise<unknown>) =>
  p.then(
    () => false,
    (err: unknown) => err instanceof ApiException && err.code === 404,
  );

/** A pod running `sleep 30` (restartPolicy Never), with `extra` metadata and spec merged over. */
export const pod = (name: string, extra: Record<string, any> = {}): Obj => ({
  metadata: { name, labels: { app: 'sim-test' }, ...extra.metadata },
  spec: {
    restartPolicy: 'Never',
    containers: [{ name: 'main', image: 'sim/shell:1', command: ['sleep', '30'] }],
    ...extra.spec,
  },
});

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

export interface Seen {
  type: string;
  obj: Obj;
}

export function connect(sim: K8sSim) {
  const kc = new KubeConfig();
  kc.loadFromString(sim.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  return {
    kc,
    core,
    /** The events about one object, by field selector. */
    eventsOf: async (ns: string, name: string) =>
      (await core.listNamespacedEvent({ namespace: ns, fieldSelector: `involvedObject.name=${name}` })).items,
    /** A watch collecting what it sees until stopped; `done` resolves with what the done callback got. */
    async collect(path: string, query: Record<string, string | number | boolean | undefined>) {
      const seen: Seen[] = [];
      let resolveDone!: (err: unknown) => void;
      const done = new Promise<unknown>((resolve) => {
        resolveDone = resolve;
      });
      const controller = await new Watch(kc).watch(
        path,
        query,
        (type, obj) => seen.push({ type, obj }),
        (err) => resolveDone(err ?? null),
      );
      return { seen, done, stop: () => controller.abort() };
    },
    /** A request outside the client (raw status codes and bodies), trusting the simulator's CA. */
    raw(
      path: string,
      token?: string,
      send?: { method: string; body: string | Buffer; type?: string },
    ): Promise<{ status: number; body: any }> {
      return new Promise((resolve, reject) => {
        const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
        if (send) headers['content-type'] = send.type ?? 'application/json';
        const req = httpsRequest(`${sim.url}${path}`, { ca: sim.ca, headers, method: send?.method ?? 'GET' }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            resolve({ status: res.statusCode ?? 0, body: text.startsWith('{') ? JSON.parse(text) : text });
          });
        });
        req.on('error', reject);
        req.end(send?.body);
      });
    },
  };
}
