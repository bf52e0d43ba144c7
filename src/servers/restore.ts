import type { Logger } from 'pino';
import type { Kysely } from 'kysely';
import type { SpawnerConfig } from '../config/index.ts';
import type { Database } from '../db/index.ts';
import { parseJson } from '../lib/json.ts';
import { allGroupNamesByUser } from '../repo/groups.ts';
import { type ChosenOptions, chooseOptions, withGroupOverrides } from '../spawners/profiles/index.ts';

/**
 * The user_options and spawner config a server found running at start-up was started with, worked out
 * again as a start does (the user's group_overrides, then the profile its stored user_options name), so
 * that poll and stop treat it as started: a profile's image, limits or `remove` are not lost. Hooks are
 * not run again. Options that no longer fit the profile_list leave the config the user's groups give.
 */
export async function restoredOptions(
  deps: { k: Kysely<Database>; log: Logger; config: { spawner: SpawnerConfig } },
  row: { user_name: string; user_options: string | null },
): Promise<ChosenOptions> {
  const { spawner } = deps.config;
  const userOptions = parseJson<Record<string, unknown>>(row.user_options, {});
  const groups = await allGroupNamesByUser(deps.k, row.user_name);
  try {
    return chooseOptions(spawner, userOptions, groups);
  } catch (err) {
    deps.log.warn(
      { user: row.user_name, err: (err as Error).message },
      "a re-adopted server's user_options no longer fit spawner.profile_list: its profile's settings are not applied",
    );
    return { userOptions, config: withGroupOverrides(spawner, groups) };
  }
}
