// deploy/kubernetes, rendered the way an admin applies it (`kubectl kustomize`, offline: no cluster is
// needed, or can be installed here) and checked against the Kubernetes API's schemas, the spawner's
// API access, tshub's own config validation, and itself (selectors, names, ports that must line up).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseKey } from '../src/auth/auth-state/index.ts';
import { loadConfig } from '../src/config/index.ts';
import { POD_SELECTOR } from '../src/spawners/kubernetes/pod-spec.ts';
import { SPAWNER_RULES, USER_NAMESPACE_RULES } from '../src/spawners/kubernetes/rbac.ts';
import {
  allowed,
  byKind,
  containerEnv,
  type DeployCopy,
  deployCopy,
  generated,
  inNamespace,
  type K8sObject,
  kustomize,
  type Peer,
  modelFor,
  named,
  schemaProblems,
  selects,
  serviceByHost,
  unknownFields,
} from './k8s-manifests.ts';

const OVERLAYS = ['sqlite', 'postgres', 'user-namespaces'] as const;
const POD_IP = '10.42.0.7';
const ROOT = join(import.meta.dirname, '..');

// The labels the kubernetes spawner gives every user pod whatever the config says (its pod selector),
// which the NetworkPolicies select user pods by.
const USER_POD_LABELS = Object.fromEntries(POD_SELECTOR.split(',').map((kv) => kv.split('=') as [string, string]));

let copy: DeployCopy;
const rendered = new Map<string, K8sObject[]>();

before(() => {
  copy = deployCopy();
  for (const o of OVERLAYS) {
    const r = kustomize(join(copy.dir, 'overlays', o));
    if ('error' in r) throw new Error(`kubectl kustomize overlays/${o} failed:\n${r.error}`);
    rendered.set(o, r.objects);
  }
});
after(() => rmSync(copy.dir, { recursive: true, force: true }));

const hubOf = (objects: K8sObject[]) => named(objects, 'Deployment', 'tshub-hub');
const container = (d: K8sObject, name: string): K8sObject => {
  const c = d.spec.template.spec.containers.find((x: K8sObject) => x.name === name);
  assert.ok(c, `${d.metadata.name} has a container ${name}`);
  return c;
};
const hubEnv = (objects: K8sObject[]) => containerEnv(objects, container(hubOf(objects), 'hub'), POD_IP);

/** The hub's tshub.yaml from the generated ConfigMap. */
function configText(objects: K8sObject[]): string {
  const text = generated(objects, 'ConfigMap', 'tshub-config').data?.['tshub.yaml'];
  assert.equal(typeof text, 'string', 'the ConfigMap holds tshub.yaml');
  return text;
}

/** loadConfig as `tshub serve` in the hub's container runs it: the mounted file plus the pod's environment. */
async function hubConfig(objects: K8sObject[]) {
  const text = configText(objects);
  const env = hubEnv(objects);
  const file = join(copy.dir, `${env.TSHUB_CONFIG?.split('/').pop()}`);
  writeFileSync(file, text);
  return (await loadConfig({ file, env })).config;
}

/** The Service a URL's host and port name, and the container port it forwards to. */
function serviceBehind(objects: K8sObject[], url: string): { pods: K8sObject; port: number } {
  const u = new URL(url);
  const svc = serviceByHost(objects, u.hostname);
  const port = svc.spec.ports.find((p: K8sObject) => p.port === Number(u.port || 80));
  assert.ok(port, `Service ${u.hostname} has port ${u.port}`);
  const pods = byKind(objects, 'Deployment').find((d) => selects(svc.spec.selector, d.spec.template.metadata.labels));
  assert.ok(pods, `Service ${u.hostname} selects a Deployment's pods`);
  const target = pods.spec.template.spec.containers
    .flatMap((c: K8sObject) => c.ports ?? [])
    .find((p: K8sObject) => p.name === port.targetPort || p.containerPort === port.targetPort);
  assert.ok(target, `Service ${u.hostname}'s targetPort ${port.targetPort} is a container port`);
  return { pods, port: target.containerPort };
}

for (const overlay of OVERLAYS) {
  describe(`overlays/${overlay}`, () => {
    const objects = () => rendered.get(overlay)!;

    test('every object is valid against the Kubernetes API schemas, unknown fields included', async () => {
      const problems = (await Promise.all(objects().map(schemaProblems))).flat();
      assert.deepEqual(problems, []);
      const kinds = [...new Set(objects().map((o) => o.kind))].sort();
      const expected = ['ConfigMap', 'Deployment', 'NetworkPolicy', 'PodDisruptionBudget', 'Role', 'RoleBinding'];
      expected.push(
        'Secret',
        'Service',
        'ServiceAccount',
        ...(overlay !== 'postgres' ? ['PersistentVolumeClaim'] : []),
      );
      if (overlay === 'user-namespaces') expected.push('ClusterRole', 'ClusterRoleBinding');
      assert.deepEqual(kinds, expected.sort());
    });

    test("the hub's Role grants exactly what the kubernetes spawner calls", () => {
      const role = named(objects(), 'Role', 'tshub-hub');
      assert.deepEqual(role.rules, SPAWNER_RULES);
      const binding = named(objects(), 'RoleBinding', 'tshub-hub');
      assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'tshub-hub' });
      const sa = hubOf(objects()).spec.template.spec.serviceAccountName;
      assert.deepEqual(
        binding.subjects.map((s: K8sObject) => [s.kind, s.name]),
        [['ServiceAccount', sa]],
      );
      named(objects(), 'ServiceAccount', sa);
      if (overlay !== 'user-namespaces')
        assert.deepEqual(byKind(objects(), 'ClusterRole'), [], 'no cluster-wide access');
    });

    test('with user namespaces, a ClusterRole grants exactly what the spawner calls in them, to the hub alone', async () => {
      const clusterRoles = byKind(objects(), 'ClusterRole');
      const config = await hubConfig(objects());
      assert.equal(config.spawner.kubernetes.enable_user_namespaces, overlay === 'user-namespaces');
      if (overlay !== 'user-namespaces') return assert.deepEqual(clusterRoles, []);
      assert.match(config.spawner.kubernetes.user_namespace_template, /\{username\}/, 'one namespace per user');
      assert.equal(clusterRoles.length, 1);
      const [role] = clusterRoles;
      assert.deepEqual(role!.rules, [...SPAWNER_RULES, ...USER_NAMESPACE_RULES]);
      assert.equal(role!.metadata.namespace, undefined, 'a cluster-scoped object');
      const bindings = byKind(objects(), 'ClusterRoleBinding');
      assert.equal(bindings.length, 1);
      assert.deepEqual(bindings[0]!.roleRef, {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: role!.metadata.name,
      });
      const sa = named(objects(), 'ServiceAccount', hubOf(objects()).spec.template.spec.serviceAccountName);
      assert.deepEqual(bindings[0]!.subjects, [
        { kind: 'ServiceAccount', name: sa.metadata.name, namespace: sa.metadata.namespace },
      ]);
    });

    test('the hub is one replica replaced with Recreate; pods are non-root on a read-only root filesystem', () => {
      const hub = hubOf(objects());
      assert.equal(hub.spec.replicas, 1);
      assert.deepEqual(hub.spec.strategy, { type: 'Recreate' });
      for (const d of byKind(objects(), 'Deployment')) {
        const pod = d.spec.template.spec;
        assert.equal(pod.securityContext.runAsNonRoot, true, d.metadata.name);
        // Service variables for tshub-* Services would start with TSHUB_, tshub's settings' prefix.
        assert.equal(pod.enableServiceLinks, false, d.metadata.name);
        for (const c of pod.containers) {
          assert.equal(c.securityContext.readOnlyRootFilesystem, true, `${d.metadata.name}/${c.name}`);
          assert.equal(c.securityContext.allowPrivilegeEscalation, false, `${d.metadata.name}/${c.name}`);
        }
      }
    });

    test("probes ask the hub's health endpoint on the port it listens on", async () => {
      const hub = container(hubOf(objects()), 'hub');
      const config = await hubConfig(objects());
      const listen = new URL(config.hub_bind_url);
      assert.equal(listen.hostname, POD_IP, 'the hub listens on its pod address (the proxy reaches it there)');
      const http = hub.ports.find((p: K8sObject) => p.name === 'http');
      assert.equal(http.containerPort, Number(listen.port));
      const base = new URL(config.bind_url).pathname;
      for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
        assert.deepEqual(hub[probe].httpGet, { path: `${base}hub/health`, port: 'http' }, probe);
      }
    });

    test('every Deployment matches its own selector, and its pods a NetworkPolicy', () => {
      const policies = byKind(objects(), 'NetworkPolicy');
      for (const d of byKind(objects(), 'Deployment')) {
        const labels = d.spec.template.metadata.labels;
        assert.ok(selects(d.spec.selector, labels), `${d.metadata.name} selects its own pods`);
        assert.ok(
          policies.some((p) => selects(p.spec.podSelector, labels)),
          `a NetworkPolicy covers ${d.metadata.name}'s pods`,
        );
      }
    });

    test('every Service, PodDisruptionBudget and NetworkPolicy peer selects pods that exist', async () => {
      const podLabels = [
        ...byKind(objects(), 'Deployment').map((d) => d.spec.template.metadata.labels),
        USER_POD_LABELS,
      ];
      const somePods = (selector: K8sObject, what: string) =>
        assert.ok(
          podLabels.some((l) => selects(selector, l)),
          `${what} selects ${JSON.stringify(selector)}: no such pods`,
        );
      for (const s of byKind(objects(), 'Service')) somePods(s.spec.selector, `Service ${s.metadata.name}`);
      for (const p of byKind(objects(), 'PodDisruptionBudget')) somePods(p.spec.selector, `PDB ${p.metadata.name}`);
      for (const p of byKind(objects(), 'NetworkPolicy')) {
        somePods(p.spec.podSelector, `NetworkPolicy ${p.metadata.name}`);
        for (const rule of [...(p.spec.ingress ?? []), ...(p.spec.egress ?? [])])
          for (const peer of [...(rule.from ?? []), ...(rule.to ?? [])])
            if (peer.podSelector) somePods(peer.podSelector, `NetworkPolicy ${p.metadata.name}'s peer`);
      }
      assert.ok(
        byKind(objects(), 'NetworkPolicy').some((p) => selects(p.spec.podSelector, USER_POD_LABELS)),
        'a NetworkPolicy covers the user pods',
      );
    });

    test('the network policies let through what each part needs, and nothing more', () => {
      const policies = byKind(objects(), 'NetworkPolicy');
      const labels = (name: string) => named(objects(), 'Deployment', name).spec.template.metadata.labels;
      const [hub, proxy, user, outside] = [labels('tshub-hub'), labels('tshub-proxy'), USER_POD_LABELS, null];
      const other = { ...USER_POD_LABELS, 'hub.jupyter.org/username': 'mallory' };
      // A user server in a namespace of its own, and some other pod elsewhere in the cluster.
      const away = inNamespace(USER_POD_LABELS, 'tshub-alice');
      const stranger = inNamespace({ app: 'other' }, 'elsewhere');
      const userNs = overlay === 'user-namespaces';
      const cases: [string, Peer, Peer, number, boolean][] = [
        ['anyone to the public port', outside, proxy, 8000, true],
        ['the hub to the proxy API', hub, proxy, 8001, true],
        ['a user server to the proxy API', user, proxy, 8001, false],
        ['anyone to the proxy API', outside, proxy, 8001, false],
        ['the proxy to the hub', proxy, hub, 8081, true],
        ['a user server to the hub API', user, hub, 8081, true],
        ['the hub to itself (managed services)', hub, hub, 8081, true],
        ['anyone to the hub directly', outside, hub, 8081, false],
        ['the proxy to a user server', proxy, user, 8888, true],
        ['the hub to a user server', hub, user, 8888, true],
        ["a user server to another user's", other, user, 8888, false],
        ['anyone to a user server directly', outside, user, 8888, false],
        ['a user server to the internet', user, outside, 443, true],
        ['the proxy to the internet', proxy, outside, 443, false],
        ['a user server in its own namespace to the hub API', away, hub, 8081, userNs],
        ['the proxy to a user server in its own namespace', proxy, away, 8888, userNs],
        ['the hub to a user server in its own namespace', hub, away, 8888, userNs],
        ['a user server in its own namespace to the proxy API', away, proxy, 8001, false],
        ['a pod of another namespace to the hub', stranger, hub, 8081, false],
        ['a pod of another namespace to the proxy API', stranger, proxy, 8001, false],
      ];
      for (const [what, from, to, port, expected] of cases)
        assert.equal(allowed(policies, from, to, port), expected, what);
    });

    test("the hub's proxy settings, the proxy's flags and the user pods' hub URL point at each other", async () => {
      const objs = objects();
      const config = await hubConfig(objs);
      assert.equal(config.proxy.should_start, false);
      const api = serviceBehind(objs, config.proxy.api_url);
      assert.equal(api.pods.metadata.name, 'tshub-proxy');
      const proxy = container(api.pods, 'proxy');
      assert.deepEqual(proxy.command.slice(0, 2), ['tshub', 'proxy']);
      const flag = (name: string) =>
        proxy.command.find((a: string) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
      assert.equal(Number(flag('api-port')), api.port);
      assert.equal(flag('api-ip'), '0.0.0.0', 'the API listens where the hub (another pod) reaches it');
      const hubSvc = serviceBehind(objs, flag('error-target')!);
      assert.equal(hubSvc.pods.metadata.name, 'tshub-hub');
      const users = serviceBehind(objs, config.spawner.hub_connect_url!);
      if (overlay === 'user-namespaces')
        assert.ok(
          new URL(config.spawner.hub_connect_url!).hostname.includes('.'),
          'user pods in their own namespaces are told the namespace of the hub',
        );
      assert.equal(users.pods.metadata.name, 'tshub-hub');
      assert.equal(users.port, Number(new URL(config.hub_bind_url).port));
      const publicSvc = named(objs, 'Service', 'tshub-proxy-public');
      assert.equal(publicSvc.spec.type, 'LoadBalancer');
      assert.equal(
        serviceBehind(objs, `http://tshub-proxy-public:${publicSvc.spec.ports[0].port}`).port,
        Number(flag('port')),
      );
      // One token on both sides, from the generated Secret (the proxy reads it from its environment).
      const token = containerEnv(objs, proxy, POD_IP).CONFIGPROXY_AUTH_TOKEN;
      assert.equal(token, copy.secrets.CONFIGPROXY_AUTH_TOKEN);
      assert.equal(hubEnv(objs).CONFIGPROXY_AUTH_TOKEN, token);
    });

    test('the secrets are the generated ones, in formats the hub accepts', () => {
      const env = hubEnv(objects());
      for (const [k, v] of Object.entries(copy.secrets)) assert.equal(env[k], v, k);
      assert.match(env.JPY_COOKIE_SECRET!, /^[0-9a-f]{64}$/);
      assert.equal(parseKey(env.JUPYTERHUB_CRYPT_KEY!).length, 32);
      const secrets = byKind(objects(), 'Secret').map((s) => s.metadata.name.replace(/-[a-z0-9]{10}$/, ''));
      assert.deepEqual(secrets.sort(), overlay === 'postgres' ? ['tshub-db', 'tshub-secrets'] : ['tshub-secrets']);
    });

    test("the ConfigMap's tshub config passes tshub's validation, as the hub loads it", async () => {
      const config = await hubConfig(objects());
      assert.equal(config.spawner.class, 'kubernetes');
    });

    test('the database: SQLite on its volume, or PostgreSQL from the Secret', async () => {
      const objs = objects();
      const { db_url } = await hubConfig(objs);
      const hub = hubOf(objs).spec.template.spec;
      const pvcs = byKind(objs, 'PersistentVolumeClaim');
      if (overlay !== 'postgres') {
        const path = db_url.replace(/^sqlite:\/\/\//, '');
        assert.ok(path.startsWith('/'), `an absolute path (the config's directory is read-only): ${db_url}`);
        const mount = container(hubOf(objs), 'hub').volumeMounts.find((m: K8sObject) =>
          path.startsWith(`${m.mountPath}/`),
        );
        assert.ok(mount && !mount.readOnly, `${path} is on a writable mount`);
        const volume = hub.volumes.find((v: K8sObject) => v.name === mount.name);
        assert.deepEqual(Object.keys(volume).sort(), ['name', 'persistentVolumeClaim']);
        assert.deepEqual(
          pvcs.map((p) => p.metadata.name),
          [volume.persistentVolumeClaim.claimName],
        );
        assert.equal(hub.securityContext.fsGroup, hub.securityContext.runAsGroup, 'the volume is writable by the hub');
      } else {
        assert.equal(db_url, copy.db.TSHUB_DB_URL);
        assert.deepEqual(pvcs, []);
        assert.ok(
          byKind(objs, 'NetworkPolicy').some(
            (p) =>
              selects(p.spec.podSelector, hubOf(objs).spec.template.metadata.labels) &&
              p.spec.egress?.some((r: K8sObject) => r.ports?.some((x: K8sObject) => x.port === 5432)),
          ),
          'the hub may reach PostgreSQL',
        );
      }
    });
  });
}

describe('refusals', () => {
  test('nothing renders until the secrets are generated: no placeholder can be deployed', () => {
    const bare = deployCopy(false);
    try {
      for (const o of OVERLAYS) {
        const r = kustomize(join(bare.dir, 'overlays', o));
        assert.ok('error' in r, `overlays/${o} rendered without secrets.env`);
        assert.match(r.error, /secrets\.env|db\.env/);
      }
    } finally {
      rmSync(bare.dir, { recursive: true, force: true });
    }
  });

  test('the secret files are ignored by git and by the image build', (t) => {
    const files = ['deploy/kubernetes/base/secrets.env', 'deploy/kubernetes/overlays/postgres/db.env'];
    const git = spawnSync('git', ['check-ignore', ...files], { cwd: ROOT, encoding: 'utf8', timeout: 10_000 });
    if (git.error || git.status === 128) t.skip('not a git checkout');
    else assert.deepEqual(git.stdout.trim().split('\n'), files);
    const dockerignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8');
    for (const f of ['secrets.env', 'db.env'])
      assert.match(dockerignore, new RegExp(`^deploy/kubernetes/\\*\\*/${f.replace('.', '\\.')}$`, 'm'));
  });

  test('the schema check refuses unknown fields at any depth and wrong types, and allows free-form maps', async () => {
    const hub = structuredClone(hubOf(rendered.get('sqlite')!));
    const model = await modelFor(hub);
    assert.deepEqual(unknownFields(model, hub), []);
    hub.spek = {};
    hub.metadata.labels['example.org/anything'] = 'fine';
    hub.spec.template.spec.containers[0].securityContext.readOnlyRootFilesytem = true;
    const configIndex = hub.spec.template.spec.volumes.findIndex((v: K8sObject) => v.configMap);
    hub.spec.template.spec.volumes[configIndex].configMap.nmae = 'x';
    assert.deepEqual(unknownFields(model, hub).sort(), [
      '/spec/template/spec/containers/0/securityContext/readOnlyRootFilesytem',
      `/spec/template/spec/volumes/${configIndex}/configMap/nmae`,
      '/spek',
    ]);
    hub.spec.replicas = 'one';
    const problems = await schemaProblems(hub);
    assert.ok(
      problems.some((p) => p.includes('/spec/replicas must be integer')),
      problems.join('\n'),
    );
  });
});

describe('deploy/Containerfile', () => {
  const text = readFileSync(join(ROOT, 'deploy', 'Containerfile'), 'utf8');
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const buildConfig = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8'));

  test('builds the way package.json does and runs its bin as a non-root user on Node 24', () => {
    const build = /^RUN node (bin\/build-stamp\.js) node_modules\/\.bin\/(tsc .*)$/m.exec(text);
    assert.ok(build, 'the build step runs the build stamp around tsc');
    assert.equal(pkg.scripts.build, `node ${build[1]} ${build[2]}`);
    assert.match(text, new RegExp(`^COPY --from=build /app/${buildConfig.compilerOptions.outDir} `, 'm'));
    assert.match(text, new RegExp(`^RUN ln -s /app/${pkg.bin.tshub} /usr/local/bin/tshub$`, 'm'));
    assert.match(text, /^RUN npm ci --omit=dev /m);
    assert.ok([...text.matchAll(/^FROM node:(\d+)-/gm)].every((m) => m[1] === pkg.engines.node.replace('>=', '')));
    const user = [...text.matchAll(/^USER (\S+)/gm)].at(-1)?.[1];
    assert.ok(user && !/^(0|root)(:|$)/.test(user), `runs as ${user}`);
    assert.equal(
      user?.split(':')[0],
      String(hubOf(rendered.get('sqlite')!).spec.template.spec.securityContext.runAsUser),
    );
  });
});
