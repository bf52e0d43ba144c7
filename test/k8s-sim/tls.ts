// The API server's serving certificate: a throwaway self-signed one for 127.0.0.1, made with the openssl
// CLI (Node has no certificate builder). The client needs HTTPS, as the real API server serves it: it
// refuses a bearer token over plain HTTP unless TLS verification is switched off.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ServingCert {
  key: string;
  cert: string;
}

export function makeServingCert(dir: string): ServingCert {
  const key = join(dir, 'tls.key');
  const cert = join(dir, 'tls.crt');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=k8s-sim',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
}
