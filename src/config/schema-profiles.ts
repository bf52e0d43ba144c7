import { Type } from 'typebox';
import type { Static } from 'typebox';
import { entry } from './schema-util.ts';

// KubeSpawner's profile_list (jupyterhub/kubespawner), under `spawner.profile_list`, for every spawner
// class; docs/spawners-profiles.md maps its keys. Whether the overrides name real settings is checked
// once the whole config is known (src/spawners/profiles/problems.ts).

const overrides = (description: string) =>
  Type.Optional(
    Type.Record(Type.String(), Type.Unknown(), { description, hint: 'a mapping of spawner settings to values' }),
  );

const OVERRIDE_TEXT =
  'Spawner settings this sets: our keys (image, mem_limit, environment, cmd, docker.*, slurm.req_*...); a mapping is merged into the setting, null removes a key.';

const Choice = entry(
  {
    display_name: Type.String({ minLength: 1, description: 'The choice as shown to users.' }),
    description: Type.Optional(Type.String({ description: 'A longer text shown with the choice.' })),
    default: Type.Optional(Type.Boolean({ description: 'The choice picked when the user names none.' })),
    kubespawner_override: overrides(`${OVERRIDE_TEXT} KubeSpawner's name for spawner_override.`),
    spawner_override: overrides(OVERRIDE_TEXT),
  },
  'One choice of a profile option.',
);

const UnlistedChoice = entry(
  {
    enabled: Type.Boolean({ default: false, description: 'Whether users may type a value of their own.' }),
    display_name: Type.Optional(Type.String({ description: 'The label of the text field.' })),
    display_name_in_choices: Type.Optional(
      Type.String({ description: 'The entry in the list of choices that picks the text field (default "Other...").' }),
    ),
    validation_regex: Type.Optional(
      Type.String({ minLength: 1, description: 'A typed value must match this (from its start, as re.match).' }),
    ),
    validation_regex_error: Type.Optional(
      Type.String({ description: 'The message for a value that does not match validation_regex.' }),
    ),
    kubespawner_override: overrides(`${OVERRIDE_TEXT} {value} is replaced by the typed value.`),
    spawner_override: overrides(`${OVERRIDE_TEXT} {value} is replaced by the typed value.`),
  },
  'A value the user types instead of picking a choice.',
);

const ProfileOption = entry(
  {
    display_name: Type.String({ minLength: 1, description: 'The option as shown to users.' }),
    choices: Type.Optional(
      Type.Record(Type.String({ minLength: 1 }), Choice, { description: 'Choice key -> choice.' }),
    ),
    unlisted_choice: Type.Optional(UnlistedChoice),
  },
  'One option of a profile: a list of choices, and perhaps a value of the user’s own.',
);

const Profile = entry(
  {
    display_name: Type.String({ minLength: 1, description: 'The profile as shown to users.' }),
    slug: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'Its name in user_options.profile; by default derived from display_name (lower case, dashes).',
      }),
    ),
    description: Type.Optional(Type.String({ description: 'A longer text shown with the profile.' })),
    default: Type.Optional(Type.Boolean({ description: 'The profile used when none is named (else the first).' })),
    kubespawner_override: overrides(`${OVERRIDE_TEXT} KubeSpawner's name for spawner_override.`),
    spawner_override: overrides(OVERRIDE_TEXT),
    profile_options: Type.Optional(
      Type.Record(Type.String({ minLength: 1 }), ProfileOption, {
        description: 'Option name -> option, each shown as a list of choices.',
      }),
    ),
  },
  'One profile users may pick.',
);

export const ProfileListSchema = Type.Array(Profile, {
  default: [],
  description:
    "Environments users pick from when they start a server, in KubeSpawner's shape (display_name, slug, description, default, spawner_override, profile_options). Empty: no choice, the settings above apply.",
});

const GroupOverride = entry(
  {
    groups: Type.Array(Type.String({ minLength: 1 }), {
      minItems: 1,
      description: 'Applied to members of any of these groups.',
    }),
    spawner_override: Type.Record(Type.String(), Type.Unknown(), {
      description: OVERRIDE_TEXT,
      hint: 'a mapping of spawner settings to values',
    }),
  },
  'Spawner settings for members of some groups.',
);

export const GroupOverridesSchema = Type.Record(Type.String({ minLength: 1 }), GroupOverride, {
  default: {},
  description:
    "JupyterHub's Spawner.group_overrides: name -> {groups, spawner_override}. A user in any of an entry's groups gets its overrides, entries applied in the sorted order of their names (the names serve only for that), before the chosen profile's.",
});

export type ProfileConfig = Static<typeof Profile>;
export type ProfileOptionConfig = Static<typeof ProfileOption>;
export type ChoiceConfig = Static<typeof Choice>;
export type UnlistedChoiceConfig = Static<typeof UnlistedChoice>;
