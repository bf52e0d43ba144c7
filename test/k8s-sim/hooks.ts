// Container lifecycle hooks (postStart, preStop) as the kubelet runs them: an `exec` command with the
// container's environment and working directory, or an `httpGet` against the pod IP. `sleep` waits.
import { spawn } from 'node:child_process';

export interface HookContext {
  env: Record<string, string>;
  cwd: string;
  podIP: string;
}

/** Runs one hook handler; resolves with null on success or the failure's message. */
export async function runHook(handler: any, ctx: HookContext, timeoutMs: number): Promise<string | null> {
  if (handler?.exec?.command?.length) {
    const argv: string[] = handler.exec.command.map(String);
    return new Promise((resolve) => {
      const p = spawn(argv[0]!, argv.slice(1), { env: ctx.env, cwd: ctx.cwd, stdio: 'ignore' });
      const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
      p.once('error', (err) => {
        clearTimeout(timer);
        resolve(`command '${argv.join(' ')}' exited with 126: ${err.message}`);
      });
      p.once('exit', (code, signal) => {
        clearTimeout(timer);
        resolve(code === 0 ? null : `command '${argv.join(' ')}' exited with ${code ?? signal}`);
      });
    });
  }
  if (handler?.httpGet) {
    const g = handler.httpGet;
    const url = `${(g.scheme ?? 'HTTP').toLowerCase()}://${g.host ?? ctx.podIP}:${g.port}${g.path ?? '/'}`;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      return res.status < 400
        ? null
        : `HTTP lifecycle hook (${g.path ?? '/'}) for Container in Pod failed - error: , message: "${res.status}"`;
    } catch (err) {
      return `Get "${url}": ${(err as Error).message}`;
    }
  }
  if (handler?.sleep?.seconds !== undefined) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(Number(handler.sleep.seconds) * 1000, timeoutMs)));
    return null;
  }
  return null;
}
