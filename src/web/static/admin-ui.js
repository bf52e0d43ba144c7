// What every part of the admin page shares: the status and alert regions, buttons that stay disabled
// while their action runs, the confirmation dialog, and dates.
export const el = window.tshub.el;
export const $ = (id) => document.getElementById(id);

/** Announces a result politely (role=status), clearing an earlier error. */
export function say(text) {
  $('admin-error').textContent = '';
  $('admin-error').className = '';
  $('admin-status').textContent = text;
}

/** Shows an error in the alert region, which interrupts. */
export function showError(text) {
  $('admin-status').textContent = '';
  $('admin-error').textContent = text;
  $('admin-error').className = 'error';
}

/** A rejection handler: "<what>: <the API's message>" in the alert region. */
export function fail(what) {
  return (err) => showError(`${what}: ${err.message}`);
}

/** An action's request, then its result announced and `reload()` run (or the error shown). */
export function act(promise, done, what, reload) {
  return promise.then(() => {
    say(done);
    return reload();
  }, fail(what));
}

export function button(text, label, onClick, className) {
  const b = el('button', {
    type: 'button',
    className: `small ${className || 'secondary'}`,
    text: text,
    'aria-label': label,
  });
  // Busy is aria-disabled, not disabled: a disabled button drops focus, which the re-render puts back.
  b.addEventListener('click', () => {
    if (b.getAttribute('aria-disabled') === 'true') return;
    b.setAttribute('aria-disabled', 'true');
    Promise.resolve(onClick()).finally(() => {
      b.removeAttribute('aria-disabled');
    });
  });
  return b;
}

// A native modal <dialog>: it traps focus, closes on Escape and returns focus to the opener.
export function confirmAction(text, okLabel) {
  const dialog = $('confirm');
  $('confirm-text').textContent = text;
  $('confirm-ok').textContent = okLabel;
  dialog.returnValue = '';
  dialog.showModal();
  $('confirm-cancel').focus();
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
  });
}

export function when(iso) {
  if (!iso) return document.createTextNode('Never');
  const t = el('time', { datetime: iso, title: iso });
  t.textContent = new Date(iso).toLocaleString();
  return t;
}

/** A safe id fragment for a name (names may hold characters ids and selectors do not like). */
export function idPart(name) {
  // '_' always starts an escape, so two names never share an id.
  return Array.from(name, (c) => (/[A-Za-z0-9-]/.test(c) ? c : `_${c.codePointAt(0).toString(16)}_`)).join('');
}
