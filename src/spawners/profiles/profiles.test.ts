import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildConfig, type SpawnerConfig } from '../../config/index.ts';
import { HubError } from '../../errors/index.ts';
import { chooseOptions, formProfiles, optionsFromForm, profileProblems, slugify } from './index.ts';

const spawner = (s: Record<string, unknown>): SpawnerConfig => buildConfig({ spawner: s }).spawner;

const PROFILES = [
  {
    display_name: 'Small (1 GB)',
    description: 'For light work',
    kubespawner_override: { environment: { SIZE: 'small' } },
  },
  {
    display_name: 'Big',
    slug: 'big',
    default: true,
    spawner_override: { environment: { SIZE: 'big' }, mem_limit: '4G' },
    profile_options: {
      image: {
        display_name: 'Image',
        choices: {
          py: { display_name: 'Python', spawner_override: { image: 'python:3' } },
          r: { display_name: 'R', default: true, spawner_override: { image: 'r-base' } },
        },
        unlisted_choice: {
          enabled: true,
          display_name: 'Image name',
          validation_regex: '^pangeo/.*$',
          kubespawner_override: { image: '{value}', environment: { CUSTOM: '{value}' } },
        },
      },
    },
  },
];

const docker = () => spawner({ class: 'docker', profile_list: PROFILES });

function refusal(fn: () => unknown): { field: unknown; message: string; reason: string } {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof HubError);
    assert.equal(err.status, 400);
    return { field: err.extra.field, message: err.message, reason: err.reason };
  }
  assert.fail('expected a refusal');
}

test('slugs are derived from display_name as python-slugify does', () => {
  assert.equal(slugify('Small (1 GB)'), 'small-1-gb');
  assert.equal(slugify("Élodie's GPU"), 'elodies-gpu');
});

test('no profile named: the default one, with its default choice, stored in user_options', () => {
  const { userOptions, config } = chooseOptions(docker(), {});
  assert.deepEqual(userOptions, { profile: 'big', image: 'r' });
  assert.equal(config.docker.image, 'r-base');
  assert.equal(config.mem_limit, '4G');
  assert.deepEqual(config.environment, { SIZE: 'big' });
});

test('a named profile and choice apply their overrides; mappings merge into the setting', () => {
  const base = spawner({ class: 'docker', environment: { KEEP: '1' }, profile_list: PROFILES });
  const small = chooseOptions(base, { profile: 'small-1-gb' });
  assert.deepEqual(small.config.environment, { KEEP: '1', SIZE: 'small' });
  assert.equal(small.config.mem_limit, null);
  assert.equal(chooseOptions(base, { profile: 'big', image: 'py' }).config.docker.image, 'python:3');
});

test('an unlisted value is checked against validation_regex and substituted for {value}', () => {
  const { config, userOptions } = chooseOptions(docker(), { profile: 'big', 'image--unlisted-choice': 'pangeo/x:1' });
  assert.equal(config.docker.image, 'pangeo/x:1');
  assert.equal(config.environment.CUSTOM, 'pangeo/x:1');
  assert.equal(userOptions['image--unlisted-choice'], 'pangeo/x:1');
  const bad = refusal(() => chooseOptions(docker(), { profile: 'big', 'image--unlisted-choice': 'evil/x' }));
  assert.equal(bad.field, 'image--unlisted-choice');
  assert.equal(bad.reason, 'invalid_user_option');
});

test('an unknown profile or choice is a 400 naming the field', () => {
  const p = refusal(() => chooseOptions(docker(), { profile: 'nope' }));
  assert.equal(p.field, 'profile');
  assert.equal(p.message, 'No such profile: nope. Options include: small-1-gb, big');
  assert.equal(refusal(() => chooseOptions(docker(), { profile: 'big', image: 'julia' })).field, 'image');
  assert.equal(
    refusal(() => chooseOptions(docker(), { profile: 'big', image: 'unlisted_choice' })).field,
    'image--unlisted-choice',
  );
});

test('without profiles user_options and the config pass unchanged', () => {
  const c = spawner({});
  const chosen = chooseOptions(c, { anything: 1 });
  assert.deepEqual(chosen.userOptions, { anything: 1 });
  assert.equal(chosen.config, c);
});

test('the form: KubeSpawner field names in, user_options out', () => {
  const c = docker();
  assert.deepEqual(optionsFromForm(c, { profile: 'big', 'profile-option-big--image': 'py', _xsrf: 'x' }), {
    profile: 'big',
    image: 'py',
  });
  assert.deepEqual(
    optionsFromForm(c, {
      profile: 'big',
      'profile-option-big--image': 'unlisted_choice',
      'profile-option-big--image--unlisted-choice': 'pangeo/a',
    }),
    { profile: 'big', image: 'unlisted_choice', 'image--unlisted-choice': 'pangeo/a' },
  );
  assert.deepEqual(optionsFromForm(c, { profile: 'big', 'profile-option-big-image': 'py' }), {
    profile: 'big',
    image: 'py',
  });
  const view = formProfiles(c, { profile: 'big', image: 'py' });
  assert.deepEqual(
    view.map((p) => [p.slug, p.checked]),
    [
      ['small-1-gb', false],
      ['big', true],
    ],
  );
  assert.deepEqual(
    view[1]!.options[0]!.choices.map((x) => [x.key, x.selected]),
    [
      ['py', true],
      ['r', false],
    ],
  );
  const custom = spawner({ options_form: '<input name="size">' });
  assert.deepEqual(optionsFromForm(custom, { size: 'x', _xsrf: 't' }), { size: 'x' });
});

test('the config check names overrides that are no setting, bad values, duplicate slugs and bad regexes', () => {
  const err = (() => {
    try {
      spawner({
        class: 'docker',
        profile_list: [
          { display_name: 'A', spawner_override: { nope: 1 } },
          { display_name: 'a', spawner_override: { mem_limit: 'lots' } },
          {
            display_name: 'C',
            profile_options: { o: { display_name: 'O', unlisted_choice: { enabled: true, validation_regex: '(' } } },
          },
        ],
      });
    } catch (e) {
      return (e as { problems: string[] }).problems;
    }
    return [];
  })();
  assert.equal(err.length, 4, err.join('\n'));
  assert.match(err[0]!, /profile_list\[0\].*nope is not a setting of the docker spawner/);
  assert.match(err[1]!, /duplicate slug "a"/);
  assert.match(err[2]!, /profile_list\[1\].*mem_limit/);
  assert.match(err[3]!, /validation_regex/);
  assert.throws(
    () => spawner({ profile_list: [{ display_name: 'X', spawner_override: { image: 'y' } }] }),
    /image is not a setting of the simple spawner/,
  );
  assert.deepEqual(profileProblems(docker()), []);
});

test("group_overrides: a member of any listed group gets them, in sorted name order, before the profile's", () => {
  const c = spawner({
    class: 'docker',
    environment: { KEEP: '1' },
    group_overrides: {
      '02-beta-mem': { groups: ['beta'], spawner_override: { mem_limit: '2G', environment: { BETA: 'yes' } } },
      '01-alpha': { groups: ['alpha', 'gamma'], spawner_override: { mem_limit: '1G', image: 'alpha:1' } },
    },
    profile_list: [{ display_name: 'Plain' }, { display_name: 'Big', spawner_override: { mem_limit: '8G' } }],
  });
  const both = chooseOptions(c, { profile: 'plain' }, ['gamma', 'beta']);
  assert.equal(both.config.mem_limit, '2G', 'the later name wins a setting');
  assert.equal(both.config.docker.image, 'alpha:1');
  assert.deepEqual(both.config.environment, { KEEP: '1', BETA: 'yes' }, 'mappings merge');
  assert.equal(chooseOptions(c, { profile: 'big' }, ['beta']).config.mem_limit, '8G', 'the profile comes after');
  const outsider = chooseOptions(c, { profile: 'plain' }, ['delta']);
  assert.equal(outsider.config.mem_limit, null);
  assert.deepEqual(outsider.config.environment, { KEEP: '1' });
  const noProfiles = spawner({ group_overrides: { g: { groups: ['alpha'], spawner_override: { cpu_limit: 2 } } } });
  assert.equal(chooseOptions(noProfiles, {}, ['alpha']).config.cpu_limit, 2);
  assert.equal(chooseOptions(noProfiles, {}, []).config.cpu_limit, null);
});

test('group_overrides: an override that names no setting, or an invalid value, is a config error', () => {
  const problems = (() => {
    try {
      spawner({
        group_overrides: {
          a: { groups: ['x'], spawner_override: { image: 'y' } },
          b: { groups: ['x'], spawner_override: { mem_limit: 'lots' } },
          c: { groups: ['x'], spawner_override: { profile_list: [] } },
        },
      });
    } catch (e) {
      return (e as { problems: string[] }).problems;
    }
    return [];
  })();
  assert.equal(problems.length, 3, problems.join('\n'));
  assert.match(problems[0]!, /group_overrides\.a.*image is not a setting of the simple spawner/);
  assert.match(problems[1]!, /group_overrides\.b.*mem_limit/);
  assert.match(problems[2]!, /group_overrides\.c.*profile_list is not a setting/);
  assert.throws(() => spawner({ group_overrides: { a: { groups: [], spawner_override: {} } } }), /groups/);
});
