import { execFile } from 'node:child_process';

/** What authenticates one request: a bearer token and/or a client certificate. */
export interface Credentials {
  token?: string;
  cert?: Buffer | string;
  key?: Buffer | string;
}

/** A kubeconfig user's `exec` block (client.authentication.k8s.io), as cloud CLIs write it. */
export interface ExecSpec {
  command: string;
  args?: string[];
  env?: { name: string; value: string }[] | null;
  apiVersion?: string;
}

/** Renew this long before the credential's own expiry, so a request never carries one that just lapsed. */
const RENEW_EARLY_MS = 60_000;
const EXEC_TIMEOUT_MS = 30_000;

/**
 * Credentials from an exec plugin (aws eks get-token, gke-gcloud-auth-plugin, kubelogin): the command is run
 * once and its answer reused until shortly before its expirationTimestamp; one run at a time.
 */
export function execCredential(spec: ExecSpec): () => Promise<Credentials> {
  let cached: { creds: Credentials; until: number } | null = null;
  let running: Promise<Credentials> | null = null;
  const run = async (): Promise<Credentials> => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const e of spec.env ?? []) env[e.name] = e.value;
    const apiVersion = spec.apiVersion ?? 'client.authentication.k8s.io/v1';
    env.KUBERNETES_EXEC_INFO = JSON.stringify({ apiVersion, kind: 'ExecCredential', spec: { interactive: false } });
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(spec.command, spec.args ?? [], { env, timeout: EXEC_TIMEOUT_MS }, (err, out, errOut) =>
        err
          ? reject(new Error(`kubeconfig exec plugin ${spec.command} failed: ${String(errOut).trim() || err.message}`))
          : resolve(out),
      ),
    );
    let status: Record<string, unknown>;
    try {
      status = (JSON.parse(stdout) as { status?: Record<string, unknown> }).status ?? {};
    } catch {
      throw new Error(`kubeconfig exec plugin ${spec.command} did not print an ExecCredential`);
    }
    const creds: Credentials = {
      token: typeof status.token === 'string' ? status.token : undefined,
      cert: typeof status.clientCertificateData === 'string' ? status.clientCertificateData : undefined,
      key: typeof status.clientKeyData === 'string' ? status.clientKeyData : undefined,
    };
    const expiry = typeof status.expirationTimestamp === 'string' ? Date.parse(status.expirationTimestamp) : NaN;
    cached = { creds, until: Number.isNaN(expiry) ? Number.POSITIVE_INFINITY : expiry - RENEW_EARLY_MS };
    return creds;
  };
  return () => {
    if (cached !== null && Date.now() < cached.until) return Promise.resolve(cached.creds);
    running ??= run().finally(() => {
      running = null;
    });
    return running;
  };
}
