import { Type } from 'typebox';
import type { Static } from 'typebox';
import { DockerSchema } from './schema-docker.ts';
import { ProfileListSchema } from './schema-profiles.ts';
import { int, nullable, section, str, strList, strMap } from './schema-util.ts';
import { SlurmSchema } from './schema-slurm.ts';

const Port = Type.Integer({ minimum: 1, maximum: 65535 });

export const SpawnerSchema = section(
  {
    class: Type.Union([Type.Literal('simple'), Type.Literal('local'), Type.Literal('docker'), Type.Literal('slurm')], {
      default: 'simple',
      description:
        "How single-user servers run: simple (child processes as the hub user), local (child processes as each user's system account), docker (a container each, see `docker`) or slurm (Slurm batch jobs, see `slurm`).",
    }),
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
    profile_list: ProfileListSchema,
    options_form: nullable(
      Type.String({ minLength: 1 }),
      "HTML fields shown on the spawn page when profile_list is empty (Spawner.options_form); the submitted fields become the server's user_options. null: the page starts the server at once.",
    ),
    docker: DockerSchema,
    slurm: SlurmSchema,
  },
  'How single-user servers are started.',
);

export type SpawnerConfig = Static<typeof SpawnerSchema>;
