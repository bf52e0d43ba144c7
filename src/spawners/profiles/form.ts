import type { SpawnerConfig } from '../../config/schema-spawner.ts';
import { defaultChoice, profilesOf, UNLISTED, unlistedKey } from './list.ts';

type Obj = Record<string, unknown>;
type Form = Record<string, string | string[]>;

/** A form field's single value; a repeated field counts as absent. */
const one = (form: Form, name: string) => (typeof form[name] === 'string' ? (form[name] as string) : undefined);

/** KubeSpawner's form field of a profile's option (the typed value's field adds `--unlisted-choice`). */
export const optionField = (slug: string, option: string) => `profile-option-${slug}--${option}`;

/** Whether the spawn page asks before starting: a profile list, or an options form of the admin's own. */
export function hasOptionsForm(config: SpawnerConfig): boolean {
  return config.profile_list.length > 0 || config.options_form !== null;
}

/**
 * options_from_form: KubeSpawner's keys for a profile list (`profile`, each option's choice key, and
 * `<option>--unlisted-choice` for a typed value; the older one-dash field names are read too), else
 * every submitted field but `_xsrf`, a single value as a string (repeated fields stay lists).
 */
export function optionsFromForm(config: SpawnerConfig, form: Form): Obj {
  if (config.profile_list.length === 0) {
    const { _xsrf, ...rest } = form;
    return { ...rest };
  }
  const slug = one(form, 'profile');
  const profiles = profilesOf(config);
  const profile = slug ? profiles.find((p) => p.slug === slug) : profiles.find((p) => p.default);
  const out: Obj = slug ? { profile: slug } : {};
  for (const name of Object.keys(profile?.profile_options ?? {})) {
    const field = optionField(profile!.slug, name);
    const picked = one(form, field) ?? one(form, `profile-option-${profile!.slug}-${name}`);
    const typed = one(form, `${field}--unlisted-choice`);
    if (picked) out[name] = picked;
    if (typed && (picked === UNLISTED || !picked)) out[unlistedKey(name)] = typed;
  }
  return out;
}

export interface FormChoice {
  key: string;
  display_name: string;
  selected: boolean;
}

export interface FormOption {
  name: string;
  display_name: string;
  field: string;
  choices: FormChoice[];
  /** The typed value's field, when the option takes one. */
  unlisted: { field: string; label: string; in_choices: string; value: string; selected: boolean } | null;
}

export interface FormProfile {
  slug: string;
  display_name: string;
  description: string;
  checked: boolean;
  options: FormOption[];
}

/** The profile list as the spawn page shows it, with `selected` (last or submitted user_options) picked. */
export function formProfiles(config: SpawnerConfig, selected: Obj): FormProfile[] {
  const profiles = profilesOf(config);
  const chosen = profiles.find((p) => p.slug === selected.profile) ?? profiles.find((p) => p.default);
  return profiles.map((p) => {
    const mine = p === chosen;
    const options = Object.entries(p.profile_options ?? {}).map(([name, option]): FormOption => {
      const typed =
        mine && typeof selected[unlistedKey(name)] === 'string' ? (selected[unlistedKey(name)] as string) : '';
      const typedChosen = mine && (selected[name] === UNLISTED || (typed !== '' && selected[name] === undefined));
      const picked = mine && typeof selected[name] === 'string' ? selected[name] : defaultChoice(option);
      const field = optionField(p.slug, name);
      const u = option.unlisted_choice;
      return {
        name,
        display_name: option.display_name,
        field,
        choices: Object.entries(option.choices ?? {}).map(([key, c]) => ({
          key,
          display_name: c.display_name,
          selected: !typedChosen && key === picked,
        })),
        unlisted: u?.enabled
          ? {
              field: `${field}--unlisted-choice`,
              label: u.display_name ?? option.display_name,
              in_choices: u.display_name_in_choices ?? 'Other...',
              value: typed,
              selected: typedChosen,
            }
          : null,
      };
    });
    return { slug: p.slug, display_name: p.display_name, description: p.description ?? '', checked: mine, options };
  });
}
