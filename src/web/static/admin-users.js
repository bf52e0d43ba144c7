// The Users tab: search, "active only", sort and paging (all kept in the URL), Start all / Stop all, the
// users table, and adding users.
import { api, PAGE } from './admin-api.js';
import { wireBulk } from './admin-bulk.js';
import { $, el, fail, say } from './admin-ui.js';
import { loadUsers, PAGE_SIZES, usersView } from './admin-users-table.js';
import { onHistory, setParams } from './admin-view.js';

/** Puts the URL's view into the controls (on load, and on Back/Forward). */
function showView() {
  const view = usersView();
  $('user-filter').value = view.filter;
  $('active-only').checked = view.active;
}

let searchTimer = null;
$('user-filter').addEventListener('input', () => {
  clearTimeout(searchTimer);
  // Wait for a pause in typing, so each keystroke is not a request (nor a history entry).
  searchTimer = setTimeout(() => {
    setParams({ name_filter: $('user-filter').value.trim(), offset: null }, false);
    loadUsers();
  }, 250);
});
$('user-search').addEventListener('submit', (ev) => {
  ev.preventDefault();
});
$('active-only').addEventListener('change', () => {
  setParams({ state: $('active-only').checked ? 'active' : null, offset: null }, true);
  loadUsers();
});
for (const b of document.querySelectorAll('#users button.sort')) {
  b.addEventListener('click', () => {
    const view = usersView();
    const key = b.getAttribute('data-sort');
    // Most recent first is the useful start for activity; names start A to Z.
    const desc = view.sortKey === key ? !view.desc : key === 'last_activity';
    const sort = `${desc ? '-' : ''}${key}`;
    setParams({ sort: sort === 'name' ? null : sort, offset: null }, true);
    loadUsers();
  });
}
$('prev-page').addEventListener('click', () => {
  const view = usersView();
  setParams({ offset: Math.max(0, view.offset - view.limit) || null }, true);
  loadUsers();
});
$('next-page').addEventListener('click', () => {
  const view = usersView();
  setParams({ offset: view.offset + view.limit }, true);
  loadUsers();
});
for (const n of PAGE_SIZES) $('page-size').appendChild(el('option', { value: String(n), text: String(n) }));
$('page-size').addEventListener('change', () => {
  const limit = Number($('page-size').value);
  // The first user shown stays on the new page.
  const view = usersView();
  const offset = Math.floor(view.offset / limit) * limit;
  setParams({ limit: limit === PAGE ? null : limit, offset: offset || null }, true);
  loadUsers();
});

$('add-users').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const names = $('new-usernames')
    .value.split('\n')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!names.length) {
    fail('Could not add users')(new Error('enter at least one username'));
    return;
  }
  const b = $('add-users-button');
  b.disabled = true;
  api('POST', 'users', { usernames: names, admin: $('new-admin').checked })
    .then((created) => {
      $('new-usernames').value = '';
      $('new-admin').checked = false;
      say(`Added ${created.map((u) => u.name).join(', ')}.`);
      return loadUsers();
    }, fail('Could not add users'))
    .finally(() => {
      b.disabled = false;
    });
});

wireBulk();
document.addEventListener('admin:tab-shown', (ev) => {
  if (ev.detail === 'users') loadUsers();
});
onHistory(() => {
  showView();
  loadUsers();
});
showView();
loadUsers();
