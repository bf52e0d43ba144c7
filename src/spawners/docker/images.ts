import type Docker from 'dockerode';
import type { SpawnerConfig } from '../../config/schema-spawner.ts';
import type { DockerConfig } from '../../config/schema-docker.ts';
import { invalidRequest, spawnFailed } from '../../errors/index.ts';
import { engineMessage, statusOf } from './logs.ts';

/**
 * The image to run: `image`, or the user's `user_options.image` when allowed_images lets them pick
 * (a name from the list, or a key of the mapping, which resolves to its image). DockerSpawner's
 * messages, so clients that compare them keep working. On a hub with a profile_list the chosen
 * profile's overrides set `image` already, and user_options.image is the key of a profile option's
 * choice, not an image; without one, user_options.image is read whatever else the options hold (a
 * `profile` key there names nothing), as DockerSpawner does.
 */
export function chooseImage(
  config: Pick<SpawnerConfig, 'docker' | 'profile_list'>,
  userOptions: Record<string, unknown>,
): string {
  const { docker } = config;
  const wanted = config.profile_list.length === 0 ? userOptions.image : undefined;
  if (wanted === undefined || wanted === null || wanted === '') return docker.image;
  const allowed: Record<string, string> = Array.isArray(docker.allowed_images)
    ? Object.fromEntries(docker.allowed_images.map((i) => [i, i]))
    : docker.allowed_images;
  const names = Object.keys(allowed);
  if (names.length === 0) throw invalidRequest('Specifying image to launch is not allowed');
  if (typeof wanted !== 'string' || !Object.hasOwn(allowed, wanted))
    throw invalidRequest(`Image ${String(wanted)} not in allowed list: ${names.join(', ')}`);
  return allowed[wanted]!;
}

/** The image's `Config.User` once it is present, '' when it names none or the check is skipped. */
export async function ensureImage(
  engine: Docker,
  image: string,
  policy: DockerConfig['pull_policy'],
  say: (message: string) => void,
): Promise<string> {
  if (policy === 'skip') return '';
  if (policy !== 'always') {
    try {
      return (await engine.getImage(image).inspect()).Config?.User ?? '';
    } catch (err) {
      if (statusOf(err) !== 404)
        throw spawnFailed(`Cannot look up image ${image} on the Docker engine: ${engineMessage(err)}`);
      if (policy === 'never')
        throw spawnFailed(
          `Image ${image} is not on the Docker engine, and pull_policy is never: pull or build it first`,
        );
    }
  }
  say(`Pulling image ${image}`);
  try {
    const stream = await engine.pull(image);
    await new Promise<void>((resolve, reject) =>
      engine.modem.followProgress(stream, (err) => (err ? reject(err) : resolve())),
    );
  } catch (err) {
    throw spawnFailed(`Cannot pull image ${image}: ${engineMessage(err)}`);
  }
  return (await engine.getImage(image).inspect()).Config?.User ?? '';
}
