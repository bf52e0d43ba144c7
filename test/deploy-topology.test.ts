// The hub and the proxy started the way deploy/kubernetes starts them (their Deployments' commands,
// environment and config, the Secret's token), as real processes on loopback: each Service name becomes
// a loopback port, the pod address 127.0.0.1. No cluster runs here (none can be installed), so this is
// what shows that the two pods find each other: the hub's route in the proxy, the shared token, the
// proxy's error pages from the hub, and the probes' path.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { containerEnv, deployCopy, type DeployCopy, type K8sObject, kustomize, named } from './k8s-manifests.ts';
import { freePort, type RunningHub, spawnHub, TSHUB } from './process.ts';

describe('the hub and proxy as deploy/kubernetes runs them, on loopback', () => {
  let copy: DeployCopy;
  let proxy: ChildProcess | null = null;
  let proxyOutput = '';
  let hub: RunningHub | null = null;
  let pub = '';
  let hubPort = 0;
  let probePath = '';
  let apiBase = '';

  before(async () => {
    copy = deployCopy();
    const r = kustomize(join(copy.dir, 'overlays', 'sqlite'));
    if ('error' in r) throw new Error(r.error);
    const objs = r.objects;
    const hubC: K8sObject = named(objs, 'Deployment', 'tshub-hub').spec.template.spec.containers[0];
    const proxyC: K8sObject = named(objs, 'Deployment', 'tshub-proxy').spec.template.spec.containers[0];
    const [proxyPort, apiPort] = [await freePort(), await freePort()];
    apiBase = `http://127.0.0.1:${apiPort}`;
    hubPort = await freePort();
    pub = `http://127.0.0.1:${proxyPort}/`;
    // Service name and port -> where that Service's pods listen here.
    const services: Record<string, number> = { 'tshub-hub:8081': hubPort, 'tshub-proxy-api:8001': apiPort };
    const local = (url: string): string => {
      const u = new URL(url);
      const port = services[`${u.hostname}:${u.port}`];
      assert.ok(port, `${url} names a Service of the manifests`);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.href.replace(/\/$/, url.endsWith('/') ? '/' : '');
    };
    const ports: Record<string, number> = { '--port': proxyPort, '--api-port': apiPort };
    const proxyArgs = (proxyC.command as string[]).slice(1).map((a) => {
      const eq = a.indexOf('=');
      if (eq < 0) return a;
      const [flag, value] = [a.slice(0, eq), a.slice(eq + 1)];
      if (flag in ports) return `${flag}=${ports[flag]}`;
      if (value === '0.0.0.0') return `${flag}=127.0.0.1`;
      return flag.endsWith('-target') ? `${flag}=${local(value)}` : a;
    });
    proxy = spawn(TSHUB[0]!, [TSHUB[1]!, ...proxyArgs], {
      env: { ...process.env, ...containerEnv(objs, proxyC, '127.0.0.1') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proxy.stdout!.on('data', (d) => (proxyOutput += d));
    proxy.stderr!.on('data', (d) => (proxyOutput += d));

    const env = containerEnv(objs, hubC, '127.0.0.1');
    const listen = new URL(env.TSHUB_HUB_BIND_URL!);
    assert.equal(listen.hostname, '127.0.0.1', 'the hub listens on its pod address');
    listen.port = String(hubPort);
    env.TSHUB_HUB_BIND_URL = listen.href;
    env.TSHUB_DB_URL = `sqlite:///${join(copy.dir, 'tshub.sqlite')}`;
    const configMap = objs.find((o) => o.kind === 'ConfigMap')!;
    const config = parseYaml(configMap.data['tshub.yaml']);
    config.proxy.api_url = local(config.proxy.api_url);
    // No cluster to start pods in: the simple spawner stands in; no server is started here.
    config.spawner = { hub_connect_url: local(config.spawner.hub_connect_url) };
    config.bind_url = pub;
    env.TSHUB_CONFIG = join(copy.dir, 'tshub.yaml');
    writeFileSync(env.TSHUB_CONFIG, stringifyYaml(config));
    probePath = hubC.readinessProbe.httpGet.path;
    hub = await spawnHub(hubC.command.slice(2), `${pub.replace(/\/$/, '')}${probePath}`, env);
  });

  after(async () => {
    await hub?.stop();
    if (proxy && proxy.exitCode === null) {
      const exited = new Promise((r) => proxy!.once('exit', r));
      proxy.kill('SIGTERM');
      await exited;
    }
    rmSync(copy.dir, { recursive: true, force: true });
  });

  test("the hub's probe answers on the hub's own port and through the proxy's route to it", async () => {
    const direct = await fetch(`http://127.0.0.1:${hubPort}${probePath}`, { signal: AbortSignal.timeout(5000) });
    assert.equal(direct.status, 200);
    const viaProxy = await fetch(`${pub.replace(/\/$/, '')}${probePath}`, { signal: AbortSignal.timeout(5000) });
    assert.deepEqual(await viaProxy.json(), { status: 'ok' });
  });

  test('the login page is served through the proxy', async () => {
    const r = await fetch(`${pub}hub/login`, { signal: AbortSignal.timeout(5000) });
    assert.equal(r.status, 200, proxyOutput);
    assert.match(await r.text(), /<form/);
  });

  test("the proxy's API takes the Secret's token, refuses any other, and routes / to the hub's pod address", async () => {
    const routes = (token: string) =>
      fetch(`${apiBase}/api/routes`, {
        headers: { authorization: `token ${token}` },
        signal: AbortSignal.timeout(5000),
      });
    assert.equal((await routes('not-the-token')).status, 403);
    const r = await routes(copy.secrets.CONFIGPROXY_AUTH_TOKEN);
    assert.equal(r.status, 200);
    const table = (await r.json()) as Record<string, { target: string }>;
    assert.equal(table['/']?.target, `http://127.0.0.1:${hubPort}`);
  });
});
