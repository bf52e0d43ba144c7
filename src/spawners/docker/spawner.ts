import type Docker from 'dockerode';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SpawnerConfig } from '../../config/index.ts';
import type { DockerConfig } from '../../config/schema-docker.ts';
import { spawnFailed } from '../../errors/index.ts';
import { expandUsername } from '../paths.ts';
import { isListening, pickPort, releasePort } from '../ports.ts';
import { OneStart } from '../one-start.ts';
import type { ProgressEvent, SpawnRequest, Spawner } from '../spawner.ts';
import { chooseImage, ensureImage } from './images.ts';
import { demuxLogs, engineMessage, statusOf } from './logs.ts';
import { containerName, templateNamespace } from './names.ts';
import { connectUrl, listenUrl, onHostNetwork } from './network.ts';
import { containerSpec } from './spec.ts';

/** Seconds `docker stop` waits after SIGTERM before it kills the server. */
const STOP_TIMEOUT_S = 10;
/** How long start() watches for a container that exits at once, unless the server listens sooner (ms). */
const START_GRACE_MS = 1500;

/** The docker section with the common mem_limit / cpu_limit filled in where docker's own keys are unset (they win). */
export function dockerWithLimits(config: SpawnerConfig): DockerConfig {
  const { docker } = config;
  return {
    ...docker,
    mem_limit: docker.mem_limit ?? config.mem_limit,
    cpu_limit: docker.cpu_limit ?? config.cpu_limit,
  };
}

function optionalString(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

/**
 * A server in a Docker container (JupyterHub's DockerSpawner). On the `host` network the container
 * shares the hub machine's network and its server listens on a loopback port picked here, so the hub and
 * the proxy reach it as they reach a local process. On any other network the server listens on
 * `port` in its own namespace and the hub reaches it where the engine says after the start: the
 * container's address (use_internal_ip) or the host port published on host_ip. state() keeps
 * JupyterHub's `container_id` and the port the hub connects to, so a restarted hub finds the same container.
 */
export class DockerSpawner implements Spawner {
  readonly logFile = null;
  readonly #req: SpawnRequest;
  readonly #engine: Docker;
  #id: string | null = null;
  #name: string | null = null;
  #port: number | null = null;
  #exitLogged = false;
  readonly #start = new OneStart();

  constructor(req: SpawnRequest, engine: Docker, state: Record<string, unknown> | null = null) {
    this.#req = req;
    this.#engine = engine;
    if (state !== null) {
      this.#start.restored();
      this.#id = optionalString(state.container_id);
      this.#name = optionalString(state.container_name);
      this.#port = typeof state.port === 'number' ? state.port : null;
    }
  }

  state(): Record<string, unknown> {
    return { container_id: this.#id, container_name: this.#name, port: this.#port };
  }

  progress(): AsyncIterable<ProgressEvent> {
    return this.#start.progress.events();
  }

  start(): Promise<string> {
    return this.#start.run(() => this.#launch());
  }

  async #launch(): Promise<string> {
    const { config, user, serverName, userOptions } = this.#req;
    const docker = config.docker;
    const image = chooseImage(config, userOptions);
    const parts = { prefix: docker.prefix, username: user.name, servername: serverName, image };
    let name: string;
    try {
      name = containerName(docker.name_template, parts);
    } catch (err) {
      throw spawnFailed((err as Error).message);
    }
    const imageUser = await ensureImage(this.#engine, image, docker.pull_policy, (m) => this.#start.progress.push(m));
    if (!onHostNetwork(docker)) return this.#run(name, image, imageUser, templateNamespace(parts), null);
    const port = await pickPort(config.port_range, (config.start_timeout + config.http_timeout) * 1000);
    try {
      return await this.#run(name, image, imageUser, templateNamespace(parts), port);
    } catch (err) {
      releasePort(port);
      throw err;
    }
  }

  #environment(url: string, image: string): Record<string, string> {
    const { config, user } = this.#req;
    // As DockerSpawner: nothing of the hub's own environment, only JupyterHub's variables and the config's.
    const env: Record<string, string> = { ...this.#req.env, JUPYTER_IMAGE_SPEC: image };
    // jupyterhub-singleuser binds to the host and port of this URL.
    env.JUPYTERHUB_SERVICE_URL = `${url}/`;
    if (config.notebook_dir !== null) env.JUPYTERHUB_ROOT_DIR = expandUsername(config.notebook_dir, user.name);
    if (config.default_url !== null) env.JUPYTERHUB_DEFAULT_URL = expandUsername(config.default_url, user.name);
    for (const [k, v] of Object.entries(config.environment)) env[k] = expandUsername(v, user.name);
    return env;
  }

  /** `hostPort`: the loopback port picked for a server on the host network, else null. */
  async #run(name: string, image: string, imageUser: string, ns: Record<string, string>, hostPort: number | null) {
    const { config, user, serverName, log } = this.#req;
    const listen = listenUrl(config.docker, hostPort);
    let spec: Docker.ContainerCreateOptions;
    try {
      spec = containerSpec({
        name,
        image,
        cmd: [...(config.docker.cmd ?? config.cmd), ...config.args],
        env: this.#environment(listen, image),
        user: user.name,
        server: serverName,
        imageUser,
        docker: dockerWithLimits(config),
        ns,
      });
    } catch (err) {
      throw spawnFailed(`Cannot start the server: ${(err as Error).message}`);
    }
    await this.#replaceStale(name);
    if (this.#start.stopRequested) throw spawnFailed('The start was cancelled by a stop request');
    this.#start.progress.push(`Creating container ${name} from image ${image}`);
    let container: Docker.Container;
    try {
      container = await this.#engine.createContainer(spec);
    } catch (err) {
      throw spawnFailed(`Cannot create container ${name} from image ${image}: ${engineMessage(err)}`);
    }
    this.#id = container.id;
    this.#name = name;
    this.#start.progress.push(`Starting container ${name}`);
    try {
      await container.start();
    } catch (err) {
      await this.#discard(container);
      throw spawnFailed(`Cannot start container ${name}: ${engineMessage(err)}`);
    }
    await this.#watchStart(container, hostPort);
    const url = hostPort === null ? await this.#addressOf(container) : listen;
    this.#port = Number(new URL(url).port);
    log.info({ container: name, id: container.id.slice(0, 12), image, url }, 'single-user server container started');
    if (config.docker.post_start_cmd !== null) await this.#postStart(container, config.docker.post_start_cmd);
    this.#start.progress.push(`Waiting for the server to listen on ${url}`);
    return url;
  }

  /**
   * A container left under this name (kept after a stop, or by a hub that lost its state) is removed:
   * it holds the revoked token and the old port of its last start, so it cannot be resumed.
   */
  async #replaceStale(name: string): Promise<void> {
    const old = this.#engine.getContainer(name);
    try {
      const info = await old.inspect();
      this.#req.log.warn({ container: name, running: info.State.Running }, 'removing an old container of this server');
      await old.remove({ force: true, v: true });
    } catch (err) {
      if (statusOf(err) !== 404) throw spawnFailed(`Cannot remove the old container ${name}: ${engineMessage(err)}`);
    }
  }

  /** Off the host network the address the hub uses is the engine's to tell, once the container runs. */
  async #addressOf(container: Docker.Container): Promise<string> {
    try {
      return connectUrl(this.#req.config.docker, await container.inspect());
    } catch (err) {
      await this.#discard(container);
      throw spawnFailed(`Cannot start container ${this.#name}: ${engineMessage(err)}`);
    }
  }

  /**
   * A container that exits at once fails the start with its last output, and is removed. Only a server
   * on the host network is probed early: elsewhere its address may be one this machine cannot reach
   * before the hub's own readiness check.
   */
  async #watchStart(container: Docker.Container, port: number | null): Promise<void> {
    const deadline = Date.now() + START_GRACE_MS;
    for (;;) {
      const { State } = await container.inspect();
      if (!State.Running) {
        const tail = await this.#logTail(container);
        await this.#discard(container);
        throw spawnFailed(
          `The server exited immediately with status ${State.ExitCode}${State.Error ? ` (${State.Error})` : ''}${tail ? `:\n${tail}` : ' (no output)'}`,
        );
      }
      if (this.#start.stopRequested || Date.now() >= deadline) return;
      if (port !== null && (await isListening(port, 100))) return;
      await sleep(100);
    }
  }

  async #logTail(container: Docker.Container): Promise<string> {
    try {
      const buf = await container.logs({ stdout: true, stderr: true, tail: 20, follow: false });
      return demuxLogs(buf).trim();
    } catch {
      return '';
    }
  }

  async #discard(container: Docker.Container): Promise<void> {
    try {
      await container.remove({ force: true, v: true });
    } catch (err) {
      this.#req.log.warn({ id: container.id, err: engineMessage(err) }, 'could not remove a failed container');
    }
    this.#id = null;
  }

  async #postStart(container: Docker.Container, cmd: string): Promise<void> {
    const { log } = this.#req;
    try {
      const exec = await container.exec({ Cmd: ['sh', '-c', cmd], AttachStdout: true, AttachStderr: true });
      const stream = await exec.start({});
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      await new Promise((resolve) => stream.once('end', resolve));
      const { ExitCode } = await exec.inspect();
      const output = demuxLogs(Buffer.concat(chunks)).trim();
      if (ExitCode === 0) log.info({ cmd, output }, 'post_start_cmd ran');
      else log.warn({ cmd, status: ExitCode, output }, 'post_start_cmd failed');
    } catch (err) {
      log.warn({ cmd, err: engineMessage(err) }, 'post_start_cmd could not run');
    }
  }

  async recentLogs(tail: number): Promise<string[]> {
    if (this.#id === null) return [];
    try {
      const buf = await this.#engine.getContainer(this.#id).logs({ stdout: true, stderr: true, tail, follow: false });
      return demuxLogs(buf).split('\n').slice(0, -1);
    } catch (err) {
      if (statusOf(err) === 404) return [];
      throw new Error(`Cannot read the logs of container ${this.#name ?? this.#id}: ${engineMessage(err)}`);
    }
  }

  /** As DockerSpawner: null while running, the exit code once stopped, 0 when the container is gone. */
  async poll(): Promise<number | null> {
    // By id only: the name may by now belong to a newer container of the same server.
    if (this.#id === null) return 0;
    const container = this.#engine.getContainer(this.#id);
    try {
      const { State } = await container.inspect();
      if (State.Running) return null;
      if (!this.#exitLogged) {
        // The container (and its output) may be removed by the stop that follows: keep its last words.
        this.#exitLogged = true;
        const tail = await this.#logTail(container);
        this.#req.log.warn({ container: this.#name, status: State.ExitCode, output: tail }, 'server container exited');
      }
      return State.ExitCode;
    } catch (err) {
      if (statusOf(err) === 404) return 0;
      // An engine that does not answer says nothing about the server: it may well still serve.
      this.#req.log.warn({ container: this.#name, err: engineMessage(err) }, 'cannot poll the container');
      return null;
    }
  }

  stop(): Promise<void> {
    return this.#start.stop(() => this.#halt());
  }

  async #halt(): Promise<void> {
    if (this.#id === null) return;
    const container = this.#engine.getContainer(this.#id);
    try {
      await container.stop({ t: STOP_TIMEOUT_S });
    } catch (err) {
      // 304: already stopped; 404: already gone.
      const status = statusOf(err);
      if (status === 404) return;
      if (status !== 304) throw new Error(`Cannot stop container ${this.#name ?? this.#id}: ${engineMessage(err)}`);
    }
    if (!this.#req.config.docker.remove) return;
    try {
      await container.remove({ v: true });
    } catch (err) {
      // 404: gone; 409: a removal already in progress.
      const status = statusOf(err);
      if (status !== 404 && status !== 409)
        throw new Error(`Cannot remove container ${this.#name ?? this.#id}: ${engineMessage(err)}`);
    }
  }
}
