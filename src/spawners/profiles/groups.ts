import type { SpawnerConfig } from '../../config/schema-spawner.ts';
import type { Overrides } from './list.ts';
import { applyOverrides } from './overrides.ts';

/**
 * JupyterHub's apply_group_overrides: the overrides of every group_overrides entry naming one of the
 * user's groups, in the sorted order of the entries' names, so that a later entry wins a setting.
 */
export function groupOverridesFor(config: SpawnerConfig, groups: readonly string[]): Overrides[] {
  const mine = new Set(groups);
  return Object.keys(config.group_overrides)
    .sort()
    .map((name) => config.group_overrides[name]!)
    .filter((entry) => entry.groups.some((g) => mine.has(g)))
    .map((entry) => entry.spawner_override);
}

/** The spawner config a member of `groups` starts from, before any profile. */
export function withGroupOverrides(config: SpawnerConfig, groups: readonly string[]): SpawnerConfig {
  const overrides = groupOverridesFor(config, groups);
  return overrides.length ? applyOverrides(config, overrides) : config;
}
