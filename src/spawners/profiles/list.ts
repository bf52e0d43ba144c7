import type { SpawnerConfig } from '../../config/schema-spawner.ts';
import type { ChoiceConfig, ProfileConfig, ProfileOptionConfig } from '../../config/schema-profiles.ts';

// The profile list as the rest of the code reads it: KubeSpawner's defaults filled in once
// (_populate_profile_list_defaults), so the form, the API and the checks agree on slugs and defaults.

export type Overrides = Record<string, unknown>;

export interface Profile extends ProfileConfig {
  slug: string;
  default: boolean;
}

/** python-slugify as KubeSpawner uses it: ASCII, lower case, quotes dropped, other runs of characters a dash. */
export function slugify(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/['"]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** The profiles with slugs, and the default marked: the one marked, else the first. */
export function profilesOf(config: SpawnerConfig): Profile[] {
  const marked = config.profile_list.findIndex((p) => p.default === true);
  const chosen = marked === -1 ? 0 : marked;
  return config.profile_list.map((p, i) => ({ ...p, slug: p.slug ?? slugify(p.display_name), default: i === chosen }));
}

export function defaultProfile(profiles: readonly Profile[]): Profile | undefined {
  return profiles.find((p) => p.default);
}

/** An entry's overrides: KubeSpawner's kubespawner_override, then our spawner_override over it. */
export function overridesOf(x: Pick<ChoiceConfig, 'kubespawner_override' | 'spawner_override'>): Overrides {
  return { ...x.kubespawner_override, ...x.spawner_override };
}

/** The choice key picked when the user names none: the one marked default, else the first. */
export function defaultChoice(option: ProfileOptionConfig): string | undefined {
  const keys = Object.keys(option.choices ?? {});
  return keys.find((k) => option.choices?.[k]?.default === true) ?? keys[0];
}

/** The user_options key of a typed value for an option (KubeSpawner's `<option>--unlisted-choice`). */
export const unlistedKey = (option: string) => `${option}--unlisted-choice`;

/** The choice value that means "the typed value" in a form's select (KubeSpawner's). */
export const UNLISTED = 'unlisted_choice';
