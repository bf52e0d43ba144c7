// A private Docker engine for the tests: its own data root, socket and no networking of its own, so
// the tests never depend on (or disturb) an engine the machine may run, and leave nothing behind.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import Docker from 'dockerode';
import { findExecutable } from '../src/spawners/command.ts';

export interface DockerEngine {
  /** `unix://…/docker.sock`, as `spawner.docker.host` takes it. */
  host: string;
  docker: Docker;
  /** An image made here from an empty rootfs; run it with `hostMounts` as read-only volumes. */
  image: string;
  /** The host directories that make the host's Python and jupyterhub-singleuser usable in `image`. */
  hostMounts: Record<string, string>;
  stop(): Promise<void>;
}

/** Why the Docker tests cannot run here, or null when they can. */
export function dockerSkipReason(): string | false {
  if (findExecutable('dockerd', `${process.env.PATH}:/usr/sbin:/sbin`, '/') === null)
    return 'dockerd is not installed (Debian package docker.io)';
  if (process.getuid?.() !== 0) return 'a private dockerd needs root';
  return false;
}

/** Mount points below `dir`, deepest first. */
function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[1] ?? '')
    .filter((m) => m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

const ROOTFS_DIRS = ['bin', 'usr', 'lib', 'lib64', 'etc', 'tmp', 'proc', 'sys', 'dev'];

async function buildImage(docker: Docker, dir: string, tag: string): Promise<void> {
  const rootfs = join(dir, 'rootfs');
  for (const d of ROOTFS_DIRS) mkdirSync(join(rootfs, d), { recursive: true });
  // A server running as nobody keeps its runtime files under HOME=/tmp.
  chmodSync(join(rootfs, 'tmp'), 0o1777);
  const tar = execFileSync('tar', ['-C', rootfs, '--owner=0', '--group=0', '-cf', '-', '.']);
  const [repo, version] = tag.split(':');
  const stream = await docker.importImage(Readable.from([tar]), { repo, tag: version });
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(stream, (err) => (err ? reject(err) : resolve())),
  );
}

/** Starts dockerd on a fresh data root; throws with its log when it does not come up. */
export async function startDockerEngine(): Promise<DockerEngine> {
  // Short: a unix socket path must stay under ~100 bytes.
  const dir = mkdtempSync('/tmp/tshub-dk-');
  const sock = join(dir, 'docker.sock');
  const logPath = join(dir, 'dockerd.log');
  const logFd = openSync(logPath, 'a');
  let proc: ChildProcess;
  try {
    proc = spawn(
      'dockerd',
      [
        '--data-root',
        join(dir, 'data'),
        '--exec-root',
        join(dir, 'exec'),
        '-H',
        `unix://${sock}`,
        '--pidfile',
        join(dir, 'pid'),
        '--iptables=false',
        '--bridge=none',
      ],
      {
        stdio: ['ignore', logFd, logFd],
        env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` },
      },
    );
  } finally {
    closeSync(logFd);
  }
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const docker = new Docker({ socketPath: sock });
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) {
      // Containers first, so dockerd's own shutdown is quick and unmounts everything it made.
      try {
        for (const c of await docker.listContainers({ all: true }))
          await docker.getContainer(c.Id).remove({ force: true, v: true });
      } catch {
        // the engine is going anyway
      }
      proc.kill('SIGTERM');
      if ((await Promise.race([exited.then(() => 'gone'), sleep(20_000)])) !== 'gone') {
        proc.kill('SIGKILL');
        await exited;
      }
    }
    // dockerd leaves its default network namespace mounted under the exec root.
    for (const m of mountsUnder(dir)) execFileSync('umount', ['-l', m]);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (existsSync(sock)) {
      try {
        await docker.ping();
        break;
      } catch {
        // not yet
      }
    }
    if (proc.exitCode !== null || Date.now() > deadline) {
      const log = readFileSync(logPath, 'utf8').split('\n').slice(-20).join('\n');
      await stop();
      throw new Error(`dockerd did not come up:\n${log}`);
    }
    await sleep(200);
  }
  const image = 'tshub-test-host:latest';
  try {
    await buildImage(docker, dir, image);
  } catch (err) {
    await stop();
    throw err;
  }
  const hostMounts: Record<string, string> = {};
  for (const d of ['/usr', '/lib', '/lib64', '/bin', '/etc']) if (existsSync(d)) hostMounts[d] = d;
  return { host: `unix://${sock}`, docker, image, hostMounts, stop };
}
