import type { ContainerCreateOptions } from 'dockerode';
import type { DockerConfig } from '../../config/schema-docker.ts';
import { engineKwargs, parseBytes } from './kwargs.ts';
import { renderTemplate } from './names.ts';
import { networkSpec } from './network.ts';

/** Labels on every container the hub makes, so an admin (and `docker ps --filter`) can tell whose it is. */
export const LABELS = { user: 'org.jupyter.hub.user', server: 'org.jupyter.hub.servername', hub: 'org.jupyter.hub' };

export interface SpecInput {
  name: string;
  image: string;
  /** Command and arguments, before `--allow-root` is decided. */
  cmd: string[];
  env: Record<string, string>;
  user: string;
  server: string;
  /** The image's own `Config.User`, the user a container runs as unless extra_create_kwargs names one. */
  imageUser: string;
  docker: DockerConfig;
  /** Values for `{username}` and friends in volume paths. */
  ns: Record<string, string>;
}

function binds(docker: DockerConfig, ns: Record<string, string>): string[] {
  const out: string[] = [];
  for (const [host, target] of Object.entries(docker.volumes)) {
    const { bind, mode = 'rw' } = typeof target === 'string' ? { bind: target } : target;
    out.push(`${renderTemplate(host, ns)}:${renderTemplate(bind, ns)}:${mode}`);
  }
  for (const [host, bind] of Object.entries(docker.read_only_volumes))
    out.push(`${renderTemplate(host, ns)}:${renderTemplate(bind, ns)}:ro`);
  return out;
}

function isRoot(user: string): boolean {
  const name = user.split(':')[0] ?? '';
  return name === '' || name === '0' || name === 'root';
}

/**
 * The container to create, in the Engine API's form. Settings build up as DockerSpawner's do: ours,
 * then extra_create_kwargs / extra_host_config over them; the network stays network_name whatever they say,
 * since the URL the hub uses is derived from it.
 */
export function containerSpec(i: SpecInput): ContainerCreateOptions {
  const { docker } = i;
  const network = networkSpec(docker);
  const host: Record<string, unknown> = { ...network.host, Binds: binds(docker, i.ns) };
  if (docker.mem_limit !== null) host.Memory = parseBytes(docker.mem_limit, 'mem_limit');
  if (docker.cpu_limit !== null) host.NanoCpus = Math.round(docker.cpu_limit * 1e9);
  const extraHost = engineKwargs(docker.extra_host_config, 'extra_host_config');
  if ('NetworkMode' in extraHost && extraHost.NetworkMode !== docker.network_name)
    throw new Error(
      `extra_host_config may not change the network (${String(extraHost.NetworkMode)}): set network_name instead (it is ${docker.network_name})`,
    );
  if (Array.isArray(extraHost.Binds)) extraHost.Binds = [...(host.Binds as string[]), ...extraHost.Binds];
  Object.assign(host, extraHost);

  const extra = engineKwargs(docker.extra_create_kwargs, 'extra_create_kwargs');
  const env = { ...i.env };
  if (Array.isArray(extra.Env)) {
    for (const line of extra.Env as string[]) {
      const eq = String(line).indexOf('=');
      if (eq > 0) env[String(line).slice(0, eq)] = String(line).slice(eq + 1);
    }
    delete extra.Env;
  }
  const labels = { [LABELS.hub]: 'tshub', [LABELS.user]: i.user, [LABELS.server]: i.server };
  if (extra.Labels !== null && typeof extra.Labels === 'object') Object.assign(labels, extra.Labels);
  delete extra.Labels;
  if (extra.HostConfig !== undefined)
    throw new Error('extra_create_kwargs may not set host_config: use extra_host_config');
  if (network.exposed !== null)
    extra.ExposedPorts = { ...(extra.ExposedPorts as Record<string, object> | undefined), ...network.exposed };

  const spec: ContainerCreateOptions = {
    name: i.name,
    Image: i.image,
    Cmd: [...i.cmd],
    ...extra,
    Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    Labels: labels,
    HostConfig: host,
  };
  // jupyter-server refuses to run as root without --allow-root; running a container as root is the
  // admin's (or the image's) choice, so it is passed on, as the process spawners do.
  const user = typeof spec.User === 'string' ? spec.User : i.imageUser;
  if (isRoot(user) && Array.isArray(spec.Cmd) && !spec.Cmd.includes('--allow-root')) spec.Cmd.push('--allow-root');
  return spec;
}
