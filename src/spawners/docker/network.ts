import type { ContainerInspectInfo } from 'dockerode';
import type { DockerConfig } from '../../config/schema-docker.ts';

// Where a container's server listens and where the hub reaches it, per DockerSpawner's network keys.
// On `host` the server shares the hub machine's loopback; elsewhere it listens on every address of its
// own network namespace, and the address the hub uses is only known once the engine has started it.

type NetworkKeys = Pick<DockerConfig, 'network_name' | 'use_internal_ip' | 'host_ip' | 'port'>;

export function onHostNetwork(docker: NetworkKeys): boolean {
  return docker.network_name === 'host';
}

/** The `port/tcp` key the Engine API uses in ExposedPorts, PortBindings and NetworkSettings.Ports. */
export function portKey(docker: NetworkKeys): string {
  return `${docker.port}/tcp`;
}

/** The URL the server is told to bind (JUPYTERHUB_SERVICE_URL); `hostPort` is the loopback port picked on host. */
export function listenUrl(docker: NetworkKeys, hostPort: number | null): string {
  if (onHostNetwork(docker)) return `http://127.0.0.1:${hostPort}`;
  return `http://0.0.0.0:${docker.port}`;
}

/** ExposedPorts / HostConfig settings of the network keys, in the Engine API's form. */
export function networkSpec(docker: NetworkKeys): {
  exposed: Record<string, object> | null;
  host: Record<string, unknown>;
} {
  const host: Record<string, unknown> = { NetworkMode: docker.network_name };
  if (onHostNetwork(docker)) return { exposed: null, host };
  const key = portKey(docker);
  // An empty HostPort lets the engine pick a free one, which inspect then reports.
  if (!docker.use_internal_ip) host.PortBindings = { [key]: [{ HostIp: docker.host_ip, HostPort: '' }] };
  return { exposed: { [key]: {} }, host };
}

function hostForUrl(ip: string): string {
  return ip.includes(':') ? `[${ip}]` : ip;
}

/**
 * The URL the hub and the proxy use, read from a started container's inspect. Throws a message for
 * the admin when the engine reports no address (an unknown network, or a port it did not publish).
 */
export function connectUrl(docker: NetworkKeys, info: Pick<ContainerInspectInfo, 'NetworkSettings'>): string {
  const settings = info.NetworkSettings;
  if (docker.use_internal_ip) {
    const ip = settings.Networks?.[docker.network_name]?.IPAddress ?? '';
    if (ip === '')
      throw new Error(
        `the container has no address on network ${docker.network_name} (is it a network made with docker network create?)`,
      );
    return `http://${hostForUrl(ip)}:${docker.port}`;
  }
  const key = portKey(docker);
  const binding = (settings.Ports?.[key] ?? []).find((b) => b.HostPort !== '');
  if (binding === undefined)
    throw new Error(`the engine published no host port for the container's port ${key} on ${docker.host_ip}`);
  // A wildcard binding answers on loopback too, and loopback is where the hub machine reaches it.
  const ip =
    binding.HostIp === '' || binding.HostIp === '0.0.0.0'
      ? '127.0.0.1'
      : binding.HostIp === '::'
        ? '::1'
        : binding.HostIp;
  return `http://${hostForUrl(ip)}:${binding.HostPort}`;
}
