import { Type } from 'typebox';
import type { Static } from 'typebox';
import { bool, nullable, section, str, strMap } from './schema-util.ts';

// DockerSpawner's keys (jupyterhub/dockerspawner), under `spawner.docker`; docs/spawners-docker.md maps them.

const anyMap = (description: string) =>
  Type.Record(Type.String(), Type.Unknown(), { default: {}, description, hint: 'a mapping of names to values' });

/** JupyterHub's ByteSpecification: a number of bytes, or a number with a K, M, G or T suffix (powers of 1024). */
export const BYTES_PATTERN = '^[0-9]+(\\.[0-9]+)?[KMGT]?$';

export const DockerSchema = section(
  {
    host: nullable(
      Type.String({ minLength: 1 }),
      'The Docker engine: unix:///path/to/docker.sock, a socket path, or tcp://host:port; null takes DOCKER_HOST, else unix:///var/run/docker.sock.',
    ),
    image: str('jupyterhub/singleuser:latest', 'The image each server runs.'),
    allowed_images: Type.Union([Type.Array(Type.String({ minLength: 1 })), Type.Record(Type.String(), Type.String())], {
      default: [],
      description:
        'Images a user may pick with user_options.image: a list, or a mapping of names shown to users to images. Empty: users cannot pick, and `image` is used.',
    }),
    pull_policy: Type.Union(
      [Type.Literal('ifnotpresent'), Type.Literal('always'), Type.Literal('never'), Type.Literal('skip')],
      {
        default: 'ifnotpresent',
        description:
          'When to pull the image: ifnotpresent (when missing), always, never (a missing image fails the start), skip (do not even check).',
      },
    ),
    prefix: str('jupyter', 'The {prefix} in name_template.'),
    name_template: nullable(
      Type.String({ minLength: 1 }),
      'The container name, with {prefix}, {username}, {servername} (escaped to Docker-safe names), {raw_username}, {raw_servername} and {imagename}; null is {prefix}-{username}, and {prefix}-{username}--{servername} for named servers.',
    ),
    remove: bool(
      false,
      'Remove the container when its server stops (else it is kept for inspection until the next start).',
    ),
    volumes: Type.Record(
      Type.String(),
      Type.Union([
        Type.String({ minLength: 1 }),
        Type.Object(
          { bind: Type.String({ minLength: 1 }), mode: Type.Optional(Type.String({ minLength: 1 })) },
          { additionalProperties: false },
        ),
      ]),
      {
        default: {},
        description:
          'Host directory (or named volume) -> container path, or -> {bind: path, mode: ro|rw}; {username} and {servername} are replaced.',
        hint: 'a mapping of host paths to container paths',
      },
    ),
    read_only_volumes: strMap(
      'Host directory -> container path, mounted read-only; {username} and {servername} are replaced.',
    ),
    extra_create_kwargs: anyMap(
      "Extra container settings (docker-py's create_container names such as user or working_dir, or the Engine API's such as User).",
    ),
    extra_host_config: anyMap(
      "Extra HostConfig settings (docker-py's create_host_config names such as cap_add or shm_size, or the Engine API's).",
    ),
    network_name: Type.String({
      minLength: 1,
      default: 'host',
      description:
        'The network containers join: host (the server listens on a loopback port of the hub machine), bridge, or a network made with docker network create.',
    }),
    use_internal_ip: bool(
      false,
      "Off host networking: connect to the container's own address on network_name (the hub must be on that network too) instead of a port published on host_ip.",
    ),
    host_ip: str(
      '127.0.0.1',
      'Off host networking without use_internal_ip: the host address the container port is published on (at a port the engine picks).',
    ),
    port: Type.Integer({
      minimum: 1,
      maximum: 65535,
      default: 8888,
      description:
        'Off host networking: the port the server listens on inside its container (on host networking the hub picks a free loopback port).',
    }),
    mem_limit: nullable(
      Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: BYTES_PATTERN })]),
      'Memory limit of each container, in bytes or with a K/M/G/T suffix (e.g. 2G); null sets none.',
    ),
    cpu_limit: nullable(
      Type.Number({ exclusiveMinimum: 0 }),
      'CPUs each container may use (e.g. 1.5); null sets no limit.',
    ),
    cmd: nullable(
      Type.Array(Type.String(), { minItems: 1 }),
      'The command run in the container; null runs spawner.cmd. spawner.args are added after it.',
    ),
    post_start_cmd: nullable(
      Type.String({ minLength: 1 }),
      'A shell command run inside the container (sh -c) once it has started; a failure is logged, not fatal.',
    ),
  },
  'Settings of the docker spawner (spawner.class: docker), with DockerSpawner key names.',
);

export type DockerConfig = Static<typeof DockerSchema>;
