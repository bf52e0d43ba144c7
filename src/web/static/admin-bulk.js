// Start all / Stop all: every user the current search and filter match (all pages, not only the one
// shown), after a confirmation that says how many, with progress announced and failures listed.
import { allUsers, api, eachLimited, serverPath } from './admin-api.js';
import { serverStatus, serversOf } from './admin-servers.js';
import { $, confirmAction, fail, say, showError } from './admin-ui.js';
import { listQuery, loadUsers, narrowedBy, usersView } from './admin-users-table.js';

/** Requests in flight at once: enough to be quick, few enough not to flood the hub's spawn queue. */
const WIDTH = 4;

function describe(view) {
  const narrowed = narrowedBy(view);
  return narrowed ? `users ${narrowed}` : 'users';
}

function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * `pick(users)` lists the {user, server} pairs to act on; `send` acts on one. Already running (or
 * stopped) servers are not picked, so they are not reported as failures.
 */
async function bulk(verb, pick, send) {
  const view = usersView();
  const b = $(`${verb}-all`);
  b.disabled = true;
  try {
    const targets = pick(await allUsers(listQuery(view)));
    const what = verb === 'start' ? 'stopped default server' : 'running server';
    const whose = describe(view);
    if (!targets.length) {
      say(`No ${what}s among the ${whose} in this view.`);
      return;
    }
    const Verb = verb === 'start' ? 'Start' : 'Stop';
    const ok = await confirmAction(
      `${Verb} ${plural(targets.length, what, `${what}s`)} of the ${whose} in this view?`,
      `${Verb} ${targets.length}`,
    );
    if (!ok) return;
    const progress = (done) =>
      say(`${verb === 'start' ? 'Starting' : 'Stopping'} servers: ${done} of ${targets.length} sent.`);
    progress(0);
    const failures = await eachLimited(targets, WIDTH, send, progress);
    await loadUsers();
    if (failures.length) {
      const list = failures.map((f) => `${f.item.label} (${f.error.message})`).join('; ');
      showError(`Could not ${verb} ${plural(failures.length, 'server', 'servers')}: ${list}`);
    } else {
      say(`Asked ${plural(targets.length, 'server', 'servers')} to ${verb}.`);
    }
  } catch (err) {
    fail(`Could not ${verb} the servers`)(err);
  } finally {
    b.disabled = false;
  }
}

function label(u, name) {
  return name ? `${u.name}/${name}` : u.name;
}

export function wireBulk() {
  $('start-all').addEventListener('click', () =>
    bulk(
      'start',
      (users) =>
        users
          .filter((u) => serverStatus(u.servers?.['']) === 'stopped')
          .map((u) => ({ user: u.name, server: '', label: label(u, '') })),
      (t) => api('POST', serverPath(t.user, t.server)),
    ),
  );
  $('stop-all').addEventListener('click', () =>
    bulk(
      'stop',
      (users) =>
        users.flatMap((u) =>
          serversOf(u)
            .filter((s) => serverStatus(s) !== 'stopped')
            .map((s) => ({ user: u.name, server: s.name, label: label(u, s.name) })),
        ),
      (t) => api('DELETE', serverPath(t.user, t.server)),
    ),
  );
}
