import { Type } from 'typebox';
import type { Static } from 'typebox';
import { BYTES_PATTERN, DockerSchema } from './schema-docker.ts';
import { KubernetesSchema } from './schema-kubernetes.ts';
import { GroupOverridesSchema, ProfileListSchema } from './schema-profiles.ts';
import { bool, int, nullable, section, str, strList, strMap } from './schema-util.ts';
import { SlurmSchema } from './schema-slurm.ts';

const Port = Type.Integer({ minimum: 1, maximum: 65535 });
const Bytes = Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: BYTES_PATTERN })], {
  hint: 'a number of bytes, or like 512M or 2G',
});
const Cpus = Type.Number({ exclusiveMinimum: 0 });

/**
 * The only variables a server inherits from the hub (JupyterHub's Spawner.env_keep default): the hub's
 * own environment may hold secrets such as the proxy's auth token.
 */
export const DEFAULT_ENV_KEEP = [
  'PATH',
  'PYTHONPATH',
  'CONDA_ROOT',
  'CONDA_DEFAULT_ENV',
  'VIRTUAL_ENV',
  'LANG',
  'LC_ALL',
  'JUPYTERHUB_SINGLEUSER_APP',
];

export const SpawnerSchema = section(
  {
    class: Type.Union(
      [
        Type.Literal('simple'),
        Type.Literal('local'),
        Type.Literal('docker'),
        Type.Literal('slurm'),
        Type.Literal('kubernetes'),
      ],
      {
        default: 'simple',
        description:
          "How single-user servers run: simple (child processes as the hub user), local (child processes as each user's system account), docker (a container each, see `docker`), slurm (Slurm batch jobs, see `slurm`) or kubernetes (a pod each, see `kubernetes`).",
      },
    ),
    cmd: Type.Array(Type.String(), {
      minItems: 1,
      default: ['jupyterhub-singleuser'],
      description: 'The command that starts a single-user server.',
    }),
    args: strList([], 'Extra arguments added after the command.'),
    environment: strMap('Extra environment variables for every single-user server.'),
    notebook_dir: nullable(
      Type.String({ minLength: 1 }),
      'The directory the server shows as its root ({username} is replaced); null leaves it to the server.',
    ),
    default_url: nullable(
      Type.String({ minLength: 1 }),
      'The page a server opens on (e.g. /lab); null leaves it to the server.',
    ),
    start_timeout: int(60, 'Seconds a server may take to start before the spawn counts as failed.', 1),
    http_timeout: int(30, 'Seconds a started server may take to answer HTTP before the spawn counts as failed.', 1),
    poll_interval: int(30, 'Seconds between checks that each running server is still alive (0 turns polling off).'),
    port_range: nullable(
      Type.Tuple([Port, Port], { hint: 'a list of two port numbers [min, max]' }),
      'Ports single-user servers may listen on, as [min, max]; null picks any free port.',
    ),
    workdir_template: str(
      'tshub-users/{username}',
      "The working directory of each server ({username} is replaced), relative to the hub's state directory (where the config file is) unless absolute.",
    ),
    ip: str(
      '127.0.0.1',
      'The address each server listens on (simple, local and docker); 0.0.0.0 listens on every interface, and the proxy then reaches it on 127.0.0.1.',
    ),
    port: Type.Integer({
      minimum: 0,
      maximum: 65535,
      default: 0,
      description: 'The port every server listens on; 0 picks a free one (from port_range, when set).',
    }),
    hub_connect_url: nullable(
      Type.String({ format: 'tshub-http-url' }),
      "The hub's URL as servers elsewhere (containers, cluster nodes) reach it, e.g. http://hub.example:8081; JUPYTERHUB_API_URL points under it. null uses the hub's own address.",
    ),
    mem_limit: nullable(
      Bytes,
      'The most memory a server may use (e.g. 2G), given to it as MEM_LIMIT; docker enforces it.',
    ),
    mem_guarantee: nullable(Bytes, 'The memory a server is promised (e.g. 1G), given to it as MEM_GUARANTEE.'),
    cpu_limit: nullable(
      Cpus,
      'The most CPUs a server may use (e.g. 1.5), given to it as CPU_LIMIT; docker enforces it.',
    ),
    cpu_guarantee: nullable(Cpus, 'The CPUs a server is promised, given to it as CPU_GUARANTEE.'),
    env_keep: Type.Array(Type.String({ minLength: 1 }), {
      default: DEFAULT_ENV_KEEP,
      description:
        "The hub's environment variables a server inherits (simple, local and slurm); no other is passed on.",
    }),
    server_token_scopes: nullable(
      Type.Array(Type.String({ minLength: 1 })),
      "The scopes of each server's API token; `!user` and `!server` filters name the server's owner and the server itself. null gives the `server` role's scopes.",
    ),
    disable_user_config: bool(
      false,
      "Tells each server to ignore Jupyter config files in the user's home (JUPYTERHUB_DISABLE_USER_CONFIG).",
    ),
    poll_jitter: Type.Number({
      minimum: 0,
      maximum: 1,
      default: 0.1,
      description:
        'Randomizes poll_interval by up to this fraction, so servers started together are not all polled at once.',
    }),
    consecutive_failure_limit: int(
      0,
      'After this many failed starts in a row the hub refuses further starts (503) until it is restarted; 0 never refuses. Running servers are not affected.',
    ),
    profile_list: ProfileListSchema,
    group_overrides: GroupOverridesSchema,
    options_form: nullable(
      Type.String({ minLength: 1 }),
      "HTML fields shown on the spawn page when profile_list is empty (Spawner.options_form); the submitted fields become the server's user_options. null: the page starts the server at once.",
    ),
    docker: DockerSchema,
    slurm: SlurmSchema,
    kubernetes: KubernetesSchema,
  },
  'How single-user servers are started.',
);

export type SpawnerConfig = Static<typeof SpawnerSchema>;
