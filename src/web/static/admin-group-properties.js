// A group's properties as key/value rows (PUT /groups/{name}/properties replaces them all). Values that
// are strings are edited as text; other JSON values are shown as JSON and kept as they were unless edited,
// in which case the text is read back as JSON when it parses, else kept as a string.
import { api } from './admin-api.js';
import { button, el, fail, idPart, say, showError } from './admin-ui.js';

function shown(value) {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function readBack(text, original) {
  if (original !== undefined && text === shown(original)) return original;
  if (original === undefined || typeof original === 'string') return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function propertyRow(g, list, n, key, value) {
  const base = `prop-${idPart(g.name)}-${n}`;
  const keyInput = el('input', {
    type: 'text',
    id: `${base}-key`,
    value: key,
    placeholder: 'key',
    autocomplete: 'off',
    spellcheck: 'false',
  });
  const valueInput = el('input', {
    type: 'text',
    id: `${base}-value`,
    value: value === undefined ? '' : shown(value),
    placeholder: 'value',
    autocomplete: 'off',
    spellcheck: 'false',
  });
  const row = el('li', { className: 'property' }, [
    el('label', { for: keyInput.id, className: 'visually-hidden', text: `Property ${n} key of ${g.name}` }),
    keyInput,
    el('label', { for: valueInput.id, className: 'visually-hidden', text: `Property ${n} value of ${g.name}` }),
    valueInput,
  ]);
  row.appendChild(
    button('Remove', `Remove property ${n} of ${g.name}`, () => {
      row.remove();
      list.querySelector('input')?.focus();
    }),
  );
  row.read = () => ({ key: keyInput.value.trim(), value: readBack(valueInput.value, value) });
  return row;
}

/** The editor for one group; `reload` shows the saved state. */
export function propertiesEditor(g, reload) {
  const list = el('ul', { className: 'properties', 'aria-label': `Properties of ${g.name}` });
  let n = 0;
  for (const [key, value] of Object.entries(g.properties || {}))
    list.appendChild(propertyRow(g, list, ++n, key, value));
  const add = button('Add property', `Add a property to ${g.name}`, () => {
    const row = propertyRow(g, list, ++n, '', undefined);
    list.appendChild(row);
    row.querySelector('input').focus();
  });
  const save = el('button', {
    type: 'submit',
    className: 'small primary',
    text: 'Save properties',
    'aria-label': `Save the properties of ${g.name}`,
  });
  const form = el('form', { className: 'properties-form', novalidate: '' }, [
    el('h4', { text: 'Properties' }),
    list,
    add,
    save,
  ]);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const properties = {};
    for (const row of list.querySelectorAll('li.property')) {
      const { key, value } = row.read();
      if (!key) continue; // an empty row is one the admin did not fill in
      if (Object.hasOwn(properties, key)) {
        showError(`Could not save the properties of ${g.name}: the key \u201c${key}\u201d is there twice.`);
        return;
      }
      properties[key] = value;
    }
    save.disabled = true;
    api('PUT', `groups/${encodeURIComponent(g.name)}/properties`, properties)
      .then(
        () => {
          say(`Saved the properties of ${g.name}.`);
          return reload();
        },
        fail(`Could not save the properties of ${g.name}`),
      )
      .finally(() => {
        save.disabled = false;
      });
  });
  return form;
}
