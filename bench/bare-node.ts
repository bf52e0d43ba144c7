import { join } from 'node:path';
import { freePorts, startChild, waitForHttp, type Child } from './proc.ts';

/** Starts the bare node:http hello-world server (a child process, like the hubs); returns its URL. */
export async function startBareNode(): Promise<{ url: string; child: Child }> {
  const [port] = await freePorts(1);
  const child = startChild(process.execPath, [join(import.meta.dirname, 'hello-server.ts'), String(port)], {
    cwd: import.meta.dirname,
    label: 'bare node:http server',
  });
  const url = `http://127.0.0.1:${port}/hub/api/user`;
  await waitForHttp(url, child, 'bare node:http server', 10_000);
  return { url, child };
}
