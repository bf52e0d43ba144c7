// The Groups tab: create and delete groups, add and remove members, edit properties.
import { api } from './admin-api.js';
import { propertiesEditor } from './admin-group-properties.js';
import { $, act, button, confirmAction, el, fail, idPart, say } from './admin-ui.js';

function groupPath(g) {
  return `groups/${encodeURIComponent(g.name)}`;
}

function membersList(g) {
  const members = el('ul', { className: 'members', 'aria-label': `Members of ${g.name}` });
  for (const name of g.users || []) {
    members.appendChild(
      el('li', {}, [
        `${name} `,
        button('Remove', `Remove ${name} from ${g.name}`, () =>
          act(
            api('DELETE', `${groupPath(g)}/users`, { users: [name] }),
            `Removed ${name} from ${g.name}.`,
            `Could not remove ${name}`,
            loadGroups,
          ),
        ),
      ]),
    );
  }
  if (!(g.users || []).length) members.appendChild(el('li', { className: 'muted', text: 'No members.' }));
  return members;
}

function addMemberForm(g) {
  const id = `member-${idPart(g.name)}`;
  const input = el('input', { type: 'text', id: id, autocomplete: 'off', spellcheck: 'false' });
  const form = el('form', { className: 'copy-row' }, [
    el('label', { for: id, className: 'visually-hidden', text: `Add a member to ${g.name}` }),
    input,
    el('button', {
      type: 'submit',
      className: 'small secondary',
      text: 'Add member',
      'aria-label': `Add member to ${g.name}`,
    }),
  ]);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const name = input.value.trim();
    if (!name) return;
    act(
      api('POST', `${groupPath(g)}/users`, { users: [name] }),
      `Added ${name} to ${g.name}.`,
      `Could not add ${name} to ${g.name}`,
      loadGroups,
    );
  });
  return form;
}

function groupItem(g) {
  const del = button(
    'Delete group',
    `Delete group ${g.name}`,
    () =>
      confirmAction(`Delete the group ${g.name}? Its members keep their accounts.`, `Delete ${g.name}`).then((ok) => {
        if (ok)
          return act(
            api('DELETE', groupPath(g)),
            `Deleted the group ${g.name}.`,
            `Could not delete ${g.name}`,
            loadGroups,
          );
      }),
    'danger',
  );
  return el('li', { className: 'card group', 'data-group': g.name }, [
    el('h3', { text: g.name }),
    el('h4', { text: 'Members' }),
    membersList(g),
    addMemberForm(g),
    propertiesEditor(g, loadGroups),
    del,
  ]);
}

function loadGroups() {
  // Without the pagination header the API returns up to its maximum page: enough for a list of groups.
  return api('GET', 'groups').then((groups) => {
    const list = $('groups');
    list.textContent = '';
    for (const g of groups) list.appendChild(groupItem(g));
    $('groups-status').textContent = groups.length ? '' : 'There are no groups.';
    $('groups-status').hidden = groups.length > 0;
  }, fail('Could not list the groups'));
}

$('add-group').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const name = $('new-group').value.trim();
  if (!name) return;
  api('POST', `groups/${encodeURIComponent(name)}`).then(
    () => {
      $('new-group').value = '';
      say(`Created the group ${name}.`);
      return loadGroups();
    },
    fail(`Could not create the group ${name}`),
  );
});

// Deleting or renaming a user changes the member lists.
document.addEventListener('admin:users-changed', () => loadGroups());
document.addEventListener('admin:tab-shown', (ev) => {
  if (ev.detail === 'groups') loadGroups();
});
loadGroups();
