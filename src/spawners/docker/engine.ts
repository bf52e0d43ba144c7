import Docker from 'dockerode';

/**
 * A client for the engine `host` names (DockerSpawner reads it from DOCKER_HOST; we take it from the
 * config first): unix:///path, a bare socket path, or tcp:// / http(s)://host:port.
 */
export function connectEngine(host: string | null): Docker {
  const where = host ?? process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
  if (where.startsWith('/')) return new Docker({ socketPath: where });
  const url = new URL(where);
  if (url.protocol === 'unix:') return new Docker({ socketPath: url.pathname });
  if (url.protocol === 'tcp:' || url.protocol === 'http:' || url.protocol === 'https:') {
    const protocol = url.protocol === 'https:' ? 'https' : 'http';
    return new Docker({ host: url.hostname, port: url.port || (protocol === 'https' ? 2376 : 2375), protocol });
  }
  throw new Error(`spawner.docker.host: ${where} is not a unix socket or an http(s)/tcp address`);
}
