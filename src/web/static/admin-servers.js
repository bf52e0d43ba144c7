// One user's servers (the default one and the named ones) in the row that opens under the user: status,
// last activity, a link to each, start, stop, logs, and deleting a named server for good.
import { api, serverPath, serverUrl, spawnPageUrl } from './admin-api.js';
import { showLogs } from './admin-logs.js';
import { act, button, confirmAction, el, idPart, when } from './admin-ui.js';

/** 'pending' while starting or stopping, 'ready' when up, else 'stopped'. */
export function serverStatus(s) {
  if (s?.pending) return 'pending';
  if (s?.ready) return 'ready';
  return 'stopped';
}

/** The default server first (listed even when it never ran), then the named ones by name. */
export function serversOf(u) {
  const servers = u.servers || {};
  const named = Object.keys(servers)
    .filter((n) => n !== '')
    .sort();
  return [servers[''] || { name: '', last_activity: null }, ...named.map((n) => servers[n])];
}

export function statusBadge(status) {
  return el('span', { className: `server-status status-${status}`, text: status });
}

/** "server lab" / "default server": how the servers table names a server (the user's row says "server"). */
function serverWhat(s) {
  return s.name ? `server ${s.name}` : 'default server';
}

/**
 * Start, or Stop and Logs, for one server, which labels and messages call "the <what> of <user>"
 * ("Stop the server lab of alice", "Show the server logs of alice").
 */
export function startStopButtons(u, s, what, reload) {
  const label = `the ${what} of ${u.name}`;
  const path = serverPath(u.name, s.name);
  if (serverStatus(s) === 'stopped')
    return [
      button(
        'Start',
        `Start ${label}`,
        () => act(api('POST', path), `Starting ${label}.`, `Could not start ${label}`, reload),
        'primary',
      ),
    ];
  return [
    button('Stop', `Stop ${label}`, () =>
      act(api('DELETE', path), `Stopping ${label}.`, `Could not stop ${label}`, reload),
    ),
    button('Logs', `Show the ${what} logs of ${u.name}`, () => showLogs(u.name, s.name)),
  ];
}

function serverActions(u, s, reload) {
  const label = `the ${serverWhat(s)} of ${u.name}`;
  const path = serverPath(u.name, s.name);
  const cell = el('td', { className: 'actions' }, startStopButtons(u, s, serverWhat(s), reload));
  if (s.name) {
    cell.appendChild(
      button(
        'Delete server',
        `Delete ${label}`,
        () =>
          confirmAction(
            `Delete ${label}? It is stopped if running and forgotten, with its stored state.`,
            `Delete ${s.name}`,
          ).then((ok) => {
            if (ok)
              return act(
                api('DELETE', path, { remove: true }),
                `Deleted ${label}.`,
                `Could not delete ${label}`,
                reload,
              );
          }),
        'danger',
      ),
    );
  }
  return cell;
}

function serverRow(u, s, reload) {
  const status = serverStatus(s);
  const name = s.name ? el('span', { text: s.name }) : el('span', { className: 'muted', text: 'default' });
  const link = el('a', {
    href: s.url || serverUrl(u.name, s.name),
    text: 'Open',
    'aria-label': `Open the ${serverWhat(s)} of ${u.name}`,
  });
  // A stopped server can also be started from the spawn page, with the options its user would be offered.
  const spawnPage =
    status === 'stopped'
      ? el('a', {
          href: spawnPageUrl(u.name, s.name),
          text: 'Spawn page',
          'aria-label': `Spawn page of the ${serverWhat(s)} of ${u.name}`,
        })
      : null;
  return el('tr', { 'data-server': s.name }, [
    el('th', { scope: 'row' }, [name]),
    el('td', {}, [statusBadge(status)]),
    el('td', {}, [status === 'stopped' ? el('span', { className: 'muted', text: '—' }) : when(s.started)]),
    el('td', {}, [when(s.last_activity)]),
    el('td', { className: 'links' }, [link, spawnPage]),
    serverActions(u, s, reload),
  ]);
}

/** The table of a user's servers, for the row under the user. */
export function serversTable(u, reload) {
  const caption = el('caption', { text: `Servers of ${u.name}` });
  const head = el('thead', {}, [
    el(
      'tr',
      {},
      ['Server', 'Status', 'Started', 'Last activity', 'Links', 'Actions'].map((t) =>
        el('th', { scope: 'col', text: t }),
      ),
    ),
  ]);
  const body = el(
    'tbody',
    {},
    serversOf(u).map((s) => serverRow(u, s, reload)),
  );
  return el('table', { className: 'servers', id: `servers-${idPart(u.name)}` }, [caption, head, body]);
}
