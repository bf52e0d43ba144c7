import type { SpawnerConfig } from '../../config/schema-spawner.ts';
import type { ProfileOptionConfig } from '../../config/schema-profiles.ts';
import { invalidUserOption } from '../../errors/index.ts';
import {
  defaultChoice,
  defaultProfile,
  type Overrides,
  overridesOf,
  type Profile,
  profilesOf,
  UNLISTED,
  unlistedKey,
} from './list.ts';
import { groupOverridesFor, withGroupOverrides } from './groups.ts';
import { applyOverrides, overrideProblem, withValue } from './overrides.ts';

type Obj = Record<string, unknown>;

/** What a start runs with: the user_options to store, and the spawner config with the profile applied. */
export interface ChosenOptions {
  userOptions: Obj;
  config: SpawnerConfig;
}

const given = (v: unknown) => v !== undefined && v !== null && v !== '';

function pickProfile(profiles: Profile[], wanted: unknown): Profile {
  if (!given(wanted)) return defaultProfile(profiles)!;
  const found = typeof wanted === 'string' ? profiles.find((p) => p.slug === wanted) : undefined;
  if (!found)
    throw invalidUserOption(
      'profile',
      `No such profile: ${String(wanted)}. Options include: ${profiles.map((p) => p.slug).join(', ')}`,
    );
  return found;
}

/** One option's overrides and the user_options it stores, from a choice key or a typed value. */
function pickOption(profile: Profile, name: string, option: ProfileOptionConfig, uo: Obj): [Obj, Overrides] {
  const typedKey = unlistedKey(name);
  const picked = uo[name];
  const typed = uo[typedKey];
  const unlisted = option.unlisted_choice;
  if (given(typed) && (!given(picked) || picked === UNLISTED)) {
    if (!unlisted?.enabled)
      throw invalidUserOption(typedKey, `Option ${name} of profile ${profile.slug} takes no value of your own`);
    if (typeof typed !== 'string') throw invalidUserOption(typedKey, `${typedKey} must be a string`);
    const regex = unlisted.validation_regex;
    if (regex && !new RegExp(`^(?:${regex})`).test(typed))
      throw invalidUserOption(
        typedKey,
        unlisted.validation_regex_error ?? `Invalid value for ${name}: ${typed} does not match ${regex}`,
      );
    return [{ [typedKey]: typed }, withValue(overridesOf(unlisted), typed)];
  }
  if (picked === UNLISTED) throw invalidUserOption(typedKey, `Option ${name} needs a value in ${typedKey}`);
  const choices = option.choices ?? {};
  const key = given(picked) ? picked : defaultChoice(option);
  if (key === undefined) return [{}, {}];
  if (typeof key !== 'string' || !Object.hasOwn(choices, key))
    throw invalidUserOption(
      name,
      `Unknown choice ${String(key)} for option ${name} of profile ${profile.slug}. Options include: ${Object.keys(choices).join(', ')}`,
    );
  return [{ [name]: key }, overridesOf(choices[key]!)];
}

/**
 * KubeSpawner's load_user_options: the profile named in user_options (else the default), each of its
 * options from its choice or typed value (else its default choice), applied over the spawner config in
 * that order, after the group_overrides of the user's `groups` (JupyterHub applies those before the
 * user options). Without profiles the user_options are used as they are.
 */
export function chooseOptions(config: SpawnerConfig, userOptions: Obj, groups: readonly string[] = []): ChosenOptions {
  const profiles = profilesOf(config);
  if (profiles.length === 0) return { userOptions, config: withGroupOverrides(config, groups) };
  const profile = pickProfile(profiles, userOptions.profile);
  const stored: Obj = { ...userOptions, profile: profile.slug };
  const overrides: Overrides[] = [...groupOverridesFor(config, groups), overridesOf(profile)];
  const fields: string[] = [];
  for (const [name, option] of Object.entries(profile.profile_options ?? {})) {
    const [keep, o] = pickOption(profile, name, option, userOptions);
    Object.assign(stored, keep);
    overrides.push(o);
    fields.push(...Object.keys(keep));
  }
  // A typed value may still make a setting invalid (a memory size that is not one): say which field.
  const problem = overrideProblem(config, overrides);
  if (problem) throw invalidUserOption(fields.find((f) => f.endsWith('--unlisted-choice')) ?? 'profile', problem);
  return { userOptions: stored, config: applyOverrides(config, overrides) };
}
