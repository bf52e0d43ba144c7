import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadKubeConfig, SERVICE_ACCOUNT_DIR } from './kubeconfig.ts';

const dir = mkdtempSync(join(tmpdir(), 'tshub-kubeconfig-'));

function kubeconfig(name: string, user: Record<string, unknown>, cluster: Record<string, unknown> = {}): string {
  const file = join(dir, name);
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:6443/', ...cluster } }],
    users: [{ name: 'u', user }],
    contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u', namespace: 'jhub' } }],
    'current-context': 'ctx',
  };
  writeFileSync(file, JSON.stringify(doc));
  return file;
}

test('a token user, an inline CA and the context namespace are read', async () => {
  const ca = Buffer.from('-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n');
  const t = loadKubeConfig(
    kubeconfig('token.yaml', { token: 'abc' }, { 'certificate-authority-data': ca.toString('base64') }),
  );
  assert.equal(t.server, 'https://127.0.0.1:6443');
  assert.deepEqual(t.ca, ca);
  assert.equal(t.namespace, 'jhub');
  assert.equal(t.rejectUnauthorized, true);
  assert.equal((await t.credentials()).token, 'abc');
});

test('client certificate files are resolved beside the kubeconfig; tokenFile is read', async () => {
  writeFileSync(join(dir, 'client.crt'), 'CERT');
  writeFileSync(join(dir, 'client.key'), 'KEY');
  writeFileSync(join(dir, 'tok'), 'from-file\n');
  const t = loadKubeConfig(
    kubeconfig(
      'certs.yaml',
      { 'client-certificate': 'client.crt', 'client-key': 'client.key', tokenFile: 'tok' },
      { 'insecure-skip-tls-verify': true, 'tls-server-name': 'kube' },
    ),
  );
  const creds = await t.credentials();
  assert.equal(String(creds.cert), 'CERT');
  assert.equal(String(creds.key), 'KEY');
  assert.equal(creds.token, 'from-file');
  assert.equal(t.rejectUnauthorized, false);
  assert.equal(t.servername, 'kube');
});

test('an exec plugin runs once and its credential is reused until shortly before it expires', async () => {
  const counter = join(dir, 'runs');
  writeFileSync(counter, '');
  const script = join(dir, 'plugin.mjs');
  writeFileSync(
    script,
    `import { appendFileSync } from 'node:fs';
appendFileSync(${JSON.stringify(counter)}, 'x');
const info = JSON.parse(process.env.KUBERNETES_EXEC_INFO);
const expires = new Date(Date.now() + Number(process.env.LIFETIME_MS)).toISOString();
console.log(JSON.stringify({ apiVersion: info.apiVersion, kind: 'ExecCredential',
  status: { token: 'exec-' + process.env.EXTRA, expirationTimestamp: expires } }));`,
  );
  const exec = (lifetime: number) => ({
    command: process.execPath,
    args: [script],
    env: [
      { name: 'EXTRA', value: 'ok' },
      { name: 'LIFETIME_MS', value: String(lifetime) },
    ],
    apiVersion: 'client.authentication.k8s.io/v1',
  });
  const long = loadKubeConfig(kubeconfig('exec.yaml', { exec: exec(3_600_000) }));
  const [a, b] = await Promise.all([long.credentials(), long.credentials()]);
  assert.equal(a.token, 'exec-ok');
  assert.equal(b.token, 'exec-ok');
  await long.credentials();
  assert.equal(readFileSync(counter, 'utf8'), 'x', 'one run for three requests');
  // A credential within a minute of its expiry is renewed at the next request.
  const short = loadKubeConfig(kubeconfig('exec-short.yaml', { exec: exec(30_000) }));
  await short.credentials();
  await short.credentials();
  assert.equal(readFileSync(counter, 'utf8'), 'xxx');
});

test('a failing exec plugin and the removed auth-provider plugins give clear errors', async () => {
  const failing = loadKubeConfig(
    kubeconfig('exec-fail.yaml', {
      exec: { command: process.execPath, args: ['-e', 'console.error("no login");process.exit(3)'] },
    }),
  );
  await assert.rejects(failing.credentials(), /exec plugin .* failed: no login/);
  assert.throws(
    () => loadKubeConfig(kubeconfig('provider.yaml', { 'auth-provider': { name: 'gcp' } })),
    /auth-provider plugin is not supported/,
  );
});

test('broken kubeconfigs are named with what is wrong', () => {
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'clusters: [');
  assert.throws(() => loadKubeConfig(bad), /Cannot read kubeconfig .*bad\.yaml/);
  const noContext = join(dir, 'nocontext.yaml');
  writeFileSync(noContext, 'apiVersion: v1\nkind: Config\n');
  assert.throws(() => loadKubeConfig(noContext), /has no current context/);
  const noCluster = join(dir, 'nocluster.yaml');
  writeFileSync(
    noCluster,
    JSON.stringify({ 'current-context': 'x', contexts: [{ name: 'x', context: { cluster: 'y' } }] }),
  );
  assert.throws(() => loadKubeConfig(noCluster), /no cluster named "y"/);
});

test('inside a cluster: the service account token, its CA and KUBERNETES_SERVICE_HOST', async () => {
  const root = join(dir, 'pod');
  const sa = join(root, SERVICE_ACCOUNT_DIR);
  mkdirSync(sa, { recursive: true });
  writeFileSync(join(sa, 'token'), 'sa-token\n');
  writeFileSync(join(sa, 'ca.crt'), 'CA');
  const saved = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT };
  process.env.KUBERNETES_SERVICE_HOST = 'fd00::1';
  process.env.KUBERNETES_SERVICE_PORT = '443';
  try {
    const t = loadKubeConfig(null, root);
    assert.equal(t.server, 'https://[fd00::1]:443');
    assert.equal(String(t.ca), 'CA');
    assert.equal((await t.credentials()).token, 'sa-token');
  } finally {
    if (saved.host === undefined) delete process.env.KUBERNETES_SERVICE_HOST;
    else process.env.KUBERNETES_SERVICE_HOST = saved.host;
    if (saved.port === undefined) delete process.env.KUBERNETES_SERVICE_PORT;
    else process.env.KUBERNETES_SERVICE_PORT = saved.port;
  }
});
