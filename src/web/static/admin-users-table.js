// The users table: one row per user (their default server, role, quick actions) and, when opened, a row
// under it with all their servers. What it shows (search, active only, sort, page, open rows) is read
// from the URL at each render.
import { api, PAGE, userPath } from './admin-api.js';
import { serverStatus, serversOf, startStopButtons, statusBadge } from './admin-servers.js';
import { $, act, button, confirmAction, el, fail, idPart, when } from './admin-ui.js';
import { expanded, setExpanded, userDetail } from './admin-user-detail.js';
import { param, setParams } from './admin-view.js';

let pollTimer = null;
let listSeq = 0;

/** Page sizes offered; the hub's admin_page_size is the default. */
export const PAGE_SIZES = [...new Set([10, 25, PAGE, 100])].sort((a, b) => a - b);

/** The list's view from the URL; sort is name ascending unless the URL says otherwise. */
export function usersView() {
  const sort = param('sort') || 'name';
  const limit = Number.parseInt(param('limit'), 10);
  return {
    filter: param('name_filter'),
    active: param('state') === 'active',
    sortKey: sort.replace(/^-/, ''),
    desc: sort.startsWith('-'),
    sort: sort,
    offset: Math.max(0, Number.parseInt(param('offset'), 10) || 0),
    limit: PAGE_SIZES.includes(limit) ? limit : PAGE,
  };
}

/** How the search and filter narrow the list, in words ('' when they do not). */
export function narrowedBy(view) {
  return [view.filter && `whose name contains \u201c${view.filter}\u201d`, view.active && 'with a running server']
    .filter(Boolean)
    .join(' and ');
}

/** GET /users query parameters for the view, without paging. */
export function listQuery(view) {
  const q = new URLSearchParams({ include_stopped_servers: '1', sort: view.sort });
  if (view.filter) q.set('name_filter', view.filter);
  if (view.active) q.set('state', 'active');
  return q.toString();
}

function namedCount(u) {
  return Object.keys(u.servers || {}).filter((n) => n !== '').length;
}

function userActions(u, open) {
  const actions = el('td', { className: 'actions' });
  const detailId = `detail-${idPart(u.name)}`;
  const toggle = button(open ? 'Hide servers' : 'Servers', `Servers of ${u.name}`, () => {
    const names = expanded();
    if (!names.delete(u.name)) names.add(u.name);
    setExpanded(names);
    return loadUsers();
  });
  toggle.setAttribute('aria-expanded', String(open));
  // Only an open row exists to be pointed at.
  if (open) toggle.setAttribute('aria-controls', detailId);
  actions.appendChild(toggle);
  const defaultServer = serversOf(u)[0];
  for (const b of startStopButtons(u, defaultServer, 'server', loadUsers)) actions.appendChild(b);
  actions.appendChild(
    button(
      u.admin ? 'Remove admin' : 'Make admin',
      (u.admin ? 'Remove admin rights from ' : 'Make admin: ') + u.name,
      () =>
        act(
          api('PATCH', userPath(u.name), { admin: !u.admin }),
          u.name + (u.admin ? ' is no longer an admin.' : ' is now an admin.'),
          `Could not change ${u.name}`,
          loadUsers,
        ),
    ),
  );
  actions.appendChild(
    button(
      'Delete',
      `Delete user ${u.name}`,
      () =>
        confirmAction(
          `Delete the user ${u.name}? Their servers are stopped and their tokens revoked.`,
          `Delete ${u.name}`,
        ).then((ok) => {
          if (ok)
            return act(api('DELETE', userPath(u.name)), `Deleted ${u.name}.`, `Could not delete ${u.name}`, () => {
              // Gone: no longer open in the URL, and out of the groups' member lists.
              const names = expanded();
              if (names.delete(u.name)) setParams({ expand: [...names].sort() }, false);
              document.dispatchEvent(new CustomEvent('admin:users-changed'));
              return loadUsers();
            });
        }),
      'danger',
    ),
  );
  return actions;
}

function userRows(u, open) {
  const named = namedCount(u);
  const row = el('tr', { 'data-user': u.name }, [
    el('th', { scope: 'row', text: u.name }),
    el('td', {}, [
      u.admin ? el('span', { className: 'badge', text: 'admin' }) : el('span', { className: 'muted', text: 'user' }),
    ]),
    el('td', {}, [
      statusBadge(serverStatus(u.servers?.[''])),
      named ? el('span', { className: 'muted named-count', text: ` +${named} named` }) : null,
    ]),
    el('td', {}, [when(u.last_activity)]),
    userActions(u, open),
  ]);
  if (!open) return [row];
  const detail = el('tr', { className: 'detail', id: `detail-${idPart(u.name)}`, 'data-user': u.name }, [
    userDetail(u, loadUsers),
  ]);
  return [row, detail];
}

function renderSort(view) {
  for (const th of document.querySelectorAll('#users th[data-sort]')) {
    const key = th.getAttribute('data-sort');
    th.setAttribute('aria-sort', key === view.sortKey ? (view.desc ? 'descending' : 'ascending') : 'none');
  }
}

/** Remembers the focused control (by user and label) so a re-render can put focus back on its twin. */
function focusedControl(focusUser) {
  const active = document.activeElement;
  const holder = active?.closest?.('#users > tbody > tr');
  if (!holder) return null;
  return {
    user: focusUser || holder.getAttribute('data-user'),
    label: active.getAttribute('aria-label'),
    text: active.textContent,
    // A poll re-renders while someone types (a new name): keep what they typed.
    value: active.tagName === 'INPUT' ? active.value : null,
    id: active.id,
    // In the servers table: Start becomes Stop, so the same server's row is the next best place.
    server: active.closest('tr[data-server]')?.getAttribute('data-server') ?? null,
  };
}

function restoreFocus(tbody, f) {
  if (!f) return;
  const rows = tbody.querySelectorAll(`:scope > tr[data-user="${CSS.escape(f.user)}"]`);
  const controls = Array.from(rows).flatMap((r) => Array.from(r.querySelectorAll('button, a, input')));
  const serverRow =
    f.server === null
      ? null
      : Array.from(rows)
          .flatMap((r) => Array.from(r.querySelectorAll('tr[data-server]')))
          .find((r) => r.getAttribute('data-server') === f.server);
  const again =
    (f.id && controls.find((c) => c.id === f.id)) ||
    controls.find((c) => c.getAttribute('aria-label') === f.label) ||
    serverRow?.querySelector('button') ||
    controls.find((c) => c.textContent === f.text) ||
    controls[0];
  if (!again) return;
  if (f.value !== null && again.id === f.id) again.value = f.value;
  again.focus();
}

/** Renders the view in the URL; `focusUser` names the user whose row keeps focus (after a rename). */
export function loadUsers(focusUser) {
  const seq = ++listSeq;
  const view = usersView();
  renderSort(view);
  const q = `users?${listQuery(view)}&offset=${view.offset}&limit=${view.limit}`;
  return api('GET', q, undefined, true).then((page) => {
    if (seq !== listSeq) return; // a newer search or page is on its way
    // A page past the end (users were deleted, or an old link): show the first page instead.
    if (!page.items.length && view.offset > 0 && page._pagination.total > 0) {
      setParams({ offset: null }, false);
      return loadUsers(focusUser);
    }
    const focus = focusedControl(typeof focusUser === 'string' ? focusUser : '');
    const open = expanded();
    const items = page.items;
    const tbody = document.querySelector('#users tbody');
    tbody.textContent = '';
    for (const u of items) for (const r of userRows(u, open.has(u.name))) tbody.appendChild(r);
    const status = $('users-status');
    const narrowed = narrowedBy(view);
    status.textContent = items.length ? '' : narrowed ? `No users ${narrowed}.` : 'There are no users.';
    status.hidden = items.length > 0;
    const total = page._pagination.total;
    $('page-range').textContent = items.length
      ? `Users ${view.offset + 1}\u2013${view.offset + items.length} of ${total}`
      : '';
    $('page-size').value = String(view.limit);
    $('prev-page').disabled = view.offset === 0;
    $('next-page').disabled = !page._pagination.next;
    status.setAttribute('data-loaded', 'true');
    restoreFocus(tbody, focus);
    // Servers on their way up or down: look again until they settle.
    clearTimeout(pollTimer);
    if (items.some((u) => serversOf(u).some((s) => serverStatus(s) === 'pending')))
      pollTimer = setTimeout(loadUsers, 1500);
  }, fail('Could not list the users'));
}

// The hub is going away: looking again would only show errors.
document.addEventListener('admin:shutdown', () => {
  clearTimeout(pollTimer);
  listSeq++;
});
