import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { countTokens, fillJupyterhubTokens, insertJupyterhubUsers } from './fill.ts';
import { freePorts, killPidFile, onCleanup, startChild, tempDir, waitForHttp } from './proc.ts';
import { childEnv } from './start-tshub.ts';
import type { FillOptions, Target } from './target.ts';

export const JUPYTERHUB_BIN = '/usr/bin/jupyterhub';

export function jupyterhubAvailable(): boolean {
  return existsSync(JUPYTERHUB_BIN);
}

const py = (s: string) => JSON.stringify(s);

/**
 * Starts a real JupyterHub with a config equivalent to the bench's tshub one: loopback on free ports, dummy
 * authenticator, SQLite in a temp dir, an admin token from api_tokens, log level WARN. It starts
 * configurable-http-proxy as usual, but the bench talks to the hub's own port, as it does for tshub.
 */
export async function startJupyterhub(): Promise<Target> {
  const dir = tempDir('jupyterhub-bench-');
  const [publicPort, hubPort, proxyApiPort] = await freePorts(3);
  const dbPath = join(dir, 'jupyterhub.sqlite');
  const proxyPidFile = join(dir, 'proxy.pid');
  const configToken = `bench-admin-${randomBytes(16).toString('hex')}`;
  const configFile = join(dir, 'jupyterhub_config.py');
  writeFileSync(
    configFile,
    [
      `c.JupyterHub.bind_url = ${py(`http://127.0.0.1:${publicPort}`)}`,
      `c.JupyterHub.hub_bind_url = ${py(`http://127.0.0.1:${hubPort}`)}`,
      `c.ConfigurableHTTPProxy.api_url = ${py(`http://127.0.0.1:${proxyApiPort}`)}`,
      `c.ConfigurableHTTPProxy.pid_file = ${py(proxyPidFile)}`,
      `c.JupyterHub.db_url = ${py(`sqlite:///${dbPath}`)}`,
      `c.JupyterHub.cookie_secret_file = ${py(join(dir, 'cookie_secret'))}`,
      `c.JupyterHub.pid_file = ${py(join(dir, 'jupyterhub.pid'))}`,
      `c.JupyterHub.authenticator_class = 'dummy'`,
      `c.Authenticator.admin_users = {'admin'}`,
      `c.JupyterHub.api_tokens = {${py(configToken)}: 'admin'}`,
      `c.JupyterHub.log_level = 'WARN'`,
      '',
    ].join('\n'),
  );
  // The proxy runs in its own session (JupyterHub starts it with start_new_session): stop it by its pid file.
  onCleanup(() => killPidFile(proxyPidFile));
  const child = startChild(JUPYTERHUB_BIN, ['-f', configFile], { cwd: dir, env: childEnv(), label: 'jupyterhub' });
  const apiUrl = `http://127.0.0.1:${hubPort}/hub/api/`;
  await waitForHttp(apiUrl, child, 'jupyterhub', 90_000);

  return {
    name: 'jupyterhub',
    apiUrl,
    configToken,
    pid: () => child.pid,
    outputTail: () => child.tail(),
    countTokens: () => countTokens(dbPath),
    async fillTokens(count: number, fill: FillOptions) {
      const t = performance.now();
      const tokens = fillJupyterhubTokens(dbPath, count, fill.removeNote);
      fill.log(
        `inserted ${count} tokens into JupyterHub's database (running) in ${((performance.now() - t) / 1000).toFixed(1)} s`,
      );
      return tokens;
    },
    async insertUsers(names: string[]) {
      insertJupyterhubUsers(dbPath, names);
    },
    async stop() {
      await child.stop();
      await killPidFile(proxyPidFile);
    },
  };
}
