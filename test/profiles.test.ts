// Profiles and the options form on the in-process hub: every refusal comes before a server would start,
// so no single-user server runs here (test/profiles-e2e.test.ts starts real ones).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Browser } from './browser-session.ts';
import type { TestHub } from './harness.ts';
import { startInProcessHub } from './inprocess.ts';

const PROFILES = [
  { display_name: 'Plain', description: 'The defaults', spawner_override: { environment: { PROFILE: 'plain' } } },
  {
    display_name: 'Tuned <fast>',
    slug: 'tuned',
    spawner_override: { environment: { PROFILE: 'tuned' } },
    profile_options: {
      flavour: {
        display_name: 'Flavour',
        choices: {
          vanilla: { display_name: 'Vanilla', spawner_override: { environment: { FLAVOUR: 'vanilla' } } },
          mint: { display_name: 'Mint', default: true, spawner_override: { environment: { FLAVOUR: 'mint' } } },
        },
        unlisted_choice: {
          enabled: true,
          display_name: 'Your own flavour',
          validation_regex: '^[a-z]+$',
          validation_regex_error: 'A flavour is lower-case letters only',
          spawner_override: { environment: { FLAVOUR: 'own-{value}' } },
        },
      },
    },
  },
];

describe('profiles and the options form (in-process)', () => {
  let h: TestHub;
  let browser: Browser;
  before(async () => {
    h = await startInProcessHub({ spawner: { profile_list: PROFILES } }, { listen: true });
    await h.addUsers(['alice']);
    browser = new Browser({ ...h, url: h.hub.hubUrl });
    await browser.login('alice');
  });
  after(() => h.stop());

  test('the API refuses an unknown profile, an unknown choice and a typed value failing the regex, naming the field', async () => {
    const post = (body: unknown) => h.request('POST', 'hub/api/users/alice/server', { body });
    const noProfile = await post({ profile: 'gpu' });
    assert.equal(noProfile.status, 400);
    assert.deepEqual(noProfile.json, {
      status: 400,
      message: 'No such profile: gpu. Options include: plain, tuned',
      reason: 'invalid_user_option',
      field: 'profile',
    });
    const noChoice = await post({ profile: 'tuned', flavour: 'durian' });
    assert.equal(noChoice.status, 400);
    assert.equal(noChoice.json.field, 'flavour');
    const typed = await post({ profile: 'tuned', 'flavour--unlisted-choice': 'Bad Flavour' });
    assert.equal(typed.status, 400);
    assert.equal(typed.json.field, 'flavour--unlisted-choice');
    assert.equal(typed.json.message, 'A flavour is lower-case letters only');
    // JupyterHub 6's {user_options: ...} body is checked the same way.
    const wrapped = await post({ user_options: { profile: 'gpu' } });
    assert.equal(wrapped.json.field, 'profile');
    const user = await h.request('GET', 'hub/api/users/alice');
    assert.deepEqual(user.json.servers, {}, 'nothing was started');
  });

  test('GET /hub/spawn shows the form: a radio per profile with its description, a select, a text field', async () => {
    const r = await browser.get('hub/spawn');
    assert.equal(r.status, 200, r.text);
    assert.match(r.text, /<input type="radio" name="profile" id="profile-plain" value="plain" checked/);
    assert.match(r.text, /id="profile-tuned" value="tuned"/);
    assert.match(r.text, /Tuned &lt;fast&gt;/, 'display names are escaped');
    assert.match(r.text, /The defaults/);
    assert.match(r.text, /<select name="profile-option-tuned--flavour"/);
    assert.match(r.text, /<option value="mint" selected>Mint<\/option>/);
    assert.match(r.text, /<option value="unlisted_choice">Other...<\/option>/);
    assert.match(r.text, /name="profile-option-tuned--flavour--unlisted-choice"/);
    assert.match(r.text, /<form id="spawn_form" class="card" method="post" action="\/hub\/spawn\/alice"/);
    assert.doesNotMatch(r.headers.get('content-security-policy')!, /unsafe-inline/);
  });

  test('POST needs the XSRF token; an invalid choice re-renders the form with the message and what was typed', async () => {
    const form = {
      profile: 'tuned',
      'profile-option-tuned--flavour': 'unlisted_choice',
      'profile-option-tuned--flavour--unlisted-choice': 'Not OK',
    };
    const forged = await browser.request('POST', 'hub/spawn/alice', { form: { ...form, _xsrf: 'forged' } });
    assert.equal(forged.status, 403);
    assert.match(forged.text, /XSRF check failed/);
    const page = await browser.get('hub/spawn');
    const r = await browser.request('POST', 'hub/spawn/alice', {
      form: { ...form, _xsrf: Browser.xsrfField(page.text) },
    });
    assert.equal(r.status, 400, r.text);
    assert.match(r.text, /<p id="spawn-error" class="error" role="alert">A flavour is lower-case letters only<\/p>/);
    assert.match(r.text, /id="profile-tuned" value="tuned" checked/);
    assert.match(r.text, /<option value="unlisted_choice" selected>/);
    assert.match(r.text, /value="Not OK"/);
    assert.deepEqual((await h.request('GET', 'hub/api/users/alice')).json.servers, {});
  });

  test('options in the query string start at once, as the form would; a refused one shows the form', async () => {
    const r = await browser.get('hub/spawn?profile=tuned&profile-option-tuned--flavour=durian&next=/hub/home');
    assert.equal(r.status, 400, r.text);
    assert.match(r.text, /Unknown choice durian for option flavour of profile tuned/);
    assert.match(r.text, /action="\/hub\/spawn\/alice\?next=%2Fhub%2Fhome"/);
    assert.deepEqual((await h.request('GET', 'hub/api/users/alice')).json.servers, {});
  });
});

describe('an options_form of the admin’s own (in-process)', () => {
  let h: TestHub;
  before(async () => {
    h = await startInProcessHub(
      { spawner: { options_form: '<input id="size" name="size" value="s">' } },
      { listen: true },
    );
    await h.addUsers(['alice']);
  });
  after(() => h.stop());

  test('GET /hub/spawn shows it as written inside the form, with the XSRF field and the Start button', async () => {
    const browser = new Browser({ ...h, url: h.hub.hubUrl });
    await browser.login('alice');
    const r = await browser.get('hub/spawn');
    assert.equal(r.status, 200, r.text);
    assert.match(r.text, /<input id="size" name="size" value="s">/);
    assert.match(r.text, /<input type="hidden" name="_xsrf" value="[^"]+">/);
    assert.match(r.text, /<button type="submit" id="start">Start<\/button>/);
    assert.doesNotMatch(r.text, /name="profile"/);
  });
});
