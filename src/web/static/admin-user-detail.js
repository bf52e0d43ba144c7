// What opens under a user's row: their servers, and renaming them.
import { api, userPath } from './admin-api.js';
import { serversTable } from './admin-servers.js';
import { el, fail, idPart, say } from './admin-ui.js';
import { params, setParams } from './admin-view.js';

/** The users whose rows are open, from the URL (?expand=alice&expand=bob). */
export function expanded() {
  return new Set(params('expand'));
}

export function setExpanded(names) {
  setParams({ expand: [...names].sort() }, true);
}

/**
 * PATCH /users/{name} {name}: the hub keeps the user's servers, tokens and groups. The open row follows
 * the new name in the URL, so a reload still shows it open.
 */
function renameForm(u, reload) {
  const id = `rename-${idPart(u.name)}`;
  const input = el('input', { type: 'text', id: id, autocomplete: 'off', spellcheck: 'false', value: u.name });
  const form = el('form', { className: 'copy-row rename', novalidate: '' }, [
    el('label', { for: id, className: 'visually-hidden', text: `New name for ${u.name}` }),
    input,
    el('button', {
      type: 'submit',
      className: 'small secondary',
      text: 'Rename',
      'aria-label': `Rename ${u.name}`,
    }),
  ]);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const name = input.value.trim();
    if (!name || name === u.name) return;
    api('PATCH', userPath(u.name), { name: name }).then(
      (renamed) => {
        const open = expanded();
        if (open.delete(u.name)) open.add(renamed.name);
        setExpanded(open);
        say(`Renamed ${u.name} to ${renamed.name}.`);
        document.dispatchEvent(new CustomEvent('admin:users-changed'));
        return reload(renamed.name);
      },
      fail(`Could not rename ${u.name}`),
    );
  });
  return form;
}

/** The cell of the row under a user. */
export function userDetail(u, reload) {
  return el('td', { colspan: '5' }, [
    serversTable(u, reload),
    el('h3', { className: 'detail-heading', text: `Rename ${u.name}` }),
    renameForm(u, reload),
  ]);
}
