// KubeSpawner's profile_list for every spawner class: choosing a profile and its options from
// user_options, applying their overrides to the spawner config, the spawn page's form, and the checks.
export { type ChosenOptions, chooseOptions } from './choose.ts';
export { formProfiles, hasOptionsForm, optionsFromForm } from './form.ts';
export { groupOverridesFor, withGroupOverrides } from './groups.ts';
export { profilesOf, slugify } from './list.ts';
export { applyOverrides, settingPath } from './overrides.ts';
export { profileProblems } from './problems.ts';
