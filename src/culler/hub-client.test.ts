import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HubClient, tlsTransport } from './hub-client.ts';

function haveOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// --ssl-enabled: the hub (here a stand-in on loopback) demands a client certificate signed by its CA,
// laid out as JupyterHub's internal_ssl writes them.
describe('tlsTransport', { skip: !haveOpenssl() && 'needs the openssl command' }, () => {
  let dir: string;
  let server: Server;
  let url: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tshub-cull-tls-'));
    const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    mkdirSync(join(dir, 'hub-ca'));
    mkdirSync(join(dir, 'hub-internal'));
    ssl(
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'ca.key',
      '-out',
      'hub-ca/hub-ca.crt',
      '-days',
      '1',
      '-subj',
      '/CN=test-hub-ca',
    );
    const sign = (name: string, subject: string, ext: string) => {
      writeFileSync(join(dir, `${name}.ext`), ext);
      ssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
      ssl(
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'hub-ca/hub-ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        `${name}.crt`,
        '-days',
        '1',
        '-extfile',
        `${name}.ext`,
      );
    };
    sign('server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1\n');
    sign('hub-internal/hub-internal', '/CN=hub-internal', 'extendedKeyUsage=clientAuth\n');
    const read = (p: string) => readFileSync(join(dir, p));
    server = createServer(
      {
        key: read('server.key'),
        cert: read('server.crt'),
        ca: read('hub-ca/hub-ca.crt'),
        requestCert: true,
        rejectUnauthorized: true,
      },
      (req, res) => {
        const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate();
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ version: '5.3.0', client: peer.subject?.CN, auth: req.headers.authorization }));
      },
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `https://127.0.0.1:${(server.address() as { port: number }).port}/hub/api`;
  });

  after(() => {
    server?.close();
    server?.closeAllConnections();
    rmSync(dir, { recursive: true, force: true });
  });

  it('presents the hub-internal certificate and trusts the hub CA', async () => {
    const client = new HubClient({ url, token: 'tok', concurrency: 2, timeoutMs: 5000, transport: tlsTransport(dir) });
    assert.deepEqual(await client.getJson('/'), { version: '5.3.0', client: 'hub-internal', auth: 'token tok' });
  });

  it('without it the hub cannot be reached', async () => {
    const client = new HubClient({ url, token: 'tok', concurrency: 2, timeoutMs: 5000 });
    await assert.rejects(client.getJson('/'), /GET https:\/\/127\.0\.0\.1:\d+\/hub\/api\/ failed/);
  });

  it('says which certificate file is missing', () => {
    assert.throws(
      () => tlsTransport(join(dir, 'nowhere')),
      /--ssl-enabled: cannot read .*nowhere\/hub-internal\/hub-internal\.key/,
    );
  });
});
