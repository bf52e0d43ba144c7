import type { SpawnerConfig } from '../../config/schema-spawner.ts';
import { displayPath, type PathSegment, type Problem } from '../../config/errors.ts';
import { type Overrides, overridesOf, profilesOf } from './list.ts';
import { overrideProblem, settingPath } from './overrides.ts';

function problem(path: PathSegment[], text: string): Problem {
  return { path, display: displayPath(path), kind: 'invalid', text };
}

/**
 * What is wrong with spawner.profile_list and group_overrides once the whole config is known: slugs
 * twice, two defaults, overrides that name no setting or give a setting an invalid value, a
 * validation_regex that is no regex.
 * A typed value's overrides are checked for their keys only: their values hold {value} until a start.
 */
export function profileProblems(config: SpawnerConfig): Problem[] {
  const out: Problem[] = [];
  const at = (...rest: PathSegment[]): PathSegment[] => ['spawner', 'profile_list', ...rest];
  const check = (path: PathSegment[], overrides: Overrides[]) => {
    const text = overrideProblem(config, overrides);
    if (text) out.push(problem(path, text));
  };
  for (const [name, entry] of Object.entries(config.group_overrides)) {
    const text = overrideProblem(config, [entry.spawner_override]);
    if (text) out.push(problem(['spawner', 'group_overrides', name, 'spawner_override'], text));
  }
  const seen = new Map<string, number>();
  if (config.profile_list.filter((p) => p.default).length > 1)
    out.push(problem(at(), 'more than one profile is the default'));
  profilesOf(config).forEach((p, i) => {
    const earlier = seen.get(p.slug);
    if (earlier !== undefined)
      out.push(problem(at(i, 'slug'), `duplicate slug ${JSON.stringify(p.slug)} (also profile_list[${earlier}])`));
    else seen.set(p.slug, i);
    if (!p.slug) out.push(problem(at(i, 'slug'), 'needs a slug: display_name has no letters or digits to make one of'));
    const own = overridesOf(p);
    check(at(i), [own]);
    for (const [name, option] of Object.entries(p.profile_options ?? {})) {
      const choices = Object.entries(option.choices ?? {});
      if (choices.filter(([, c]) => c.default).length > 1)
        out.push(problem(at(i, 'profile_options', name), 'more than one choice is the default'));
      for (const [key, choice] of choices)
        check(at(i, 'profile_options', name, 'choices', key), [own, overridesOf(choice)]);
      const unlisted = option.unlisted_choice;
      if (!unlisted) continue;
      const path = at(i, 'profile_options', name, 'unlisted_choice');
      for (const key of Object.keys(overridesOf(unlisted)))
        if (!settingPath(config, key))
          out.push(problem(path, `${key} is not a setting of the ${config.class} spawner`));
      try {
        if (unlisted.validation_regex) new RegExp(unlisted.validation_regex);
      } catch (err) {
        out.push(problem([...path, 'validation_regex'], (err as Error).message));
      }
    }
  });
  return out;
}
