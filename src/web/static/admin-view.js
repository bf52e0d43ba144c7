// The admin page's view state lives in the query string only, so a reload, a bookmark or Back shows the
// same view. Parts of the page read it when they render and change it through setParams.
const listeners = [];

export function param(name) {
  return new URLSearchParams(location.search).get(name) || '';
}

export function params(name) {
  return new URLSearchParams(location.search).getAll(name);
}

/**
 * Changes some keys and keeps the others (a tab may own keys this file does not know). '' or null removes
 * a key; an array sets a repeated one. `push` makes a history entry (a click); typing replaces the entry.
 */
export function setParams(changes, push) {
  const q = new URLSearchParams(location.search);
  for (const [key, value] of Object.entries(changes)) {
    q.delete(key);
    for (const v of [value].flat()) if (v !== null && v !== undefined && v !== '') q.append(key, String(v));
  }
  const search = q.toString();
  const url = `${location.pathname}${search ? `?${search}` : ''}${location.hash}`;
  if (url === `${location.pathname}${location.search}${location.hash}`) return;
  history[push ? 'pushState' : 'replaceState'](null, '', url);
}

/** `fn` runs when Back or Forward changes the query string. */
export function onHistory(fn) {
  listeners.push(fn);
}

window.addEventListener('popstate', () => {
  for (const fn of listeners) fn();
});
