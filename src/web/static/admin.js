// The admin page's frame: the tab bar (built from the tab list in admin.html; the chosen tab is ?tab= in
// the URL) and shutting the hub down. Each tab's own module fills its panel.
import { api } from './admin-api.js';
import { $, confirmAction, fail, say } from './admin-ui.js';
import { onHistory, param, setParams } from './admin-view.js';

const tabs = Array.from(document.querySelectorAll('#admin-tabs [role="tab"]'));

function show(id, focus) {
  const chosen = tabs.find((t) => t.id === `tab-${id}`) || tabs[0];
  for (const t of tabs) {
    const on = t === chosen;
    t.setAttribute('aria-selected', String(on));
    // Roving tabindex: Tab reaches the chosen tab only; arrows move between tabs.
    t.tabIndex = on ? 0 : -1;
    $(t.getAttribute('aria-controls')).hidden = !on;
  }
  if (focus) chosen.focus();
  // A tab's module refreshes its panel when shown again: others may have changed things meanwhile.
  document.dispatchEvent(new CustomEvent('admin:tab-shown', { detail: tabId(chosen) }));
  return chosen;
}

function tabId(t) {
  return t.id.replace(/^tab-/, '');
}

function choose(t) {
  // The first tab is the default and keeps the URL short.
  setParams({ tab: t === tabs[0] ? null : tabId(t) }, true);
  show(tabId(t), true);
}

for (const t of tabs) {
  t.addEventListener('click', () => choose(t));
  t.addEventListener('keydown', (ev) => {
    const i = tabs.indexOf(t);
    const to = {
      ArrowRight: tabs[(i + 1) % tabs.length],
      ArrowLeft: tabs[(i - 1 + tabs.length) % tabs.length],
      Home: tabs[0],
      End: tabs[tabs.length - 1],
    }[ev.key];
    if (!to) return;
    ev.preventDefault();
    choose(to);
  });
}
onHistory(() => show(param('tab'), false));
show(param('tab'), false);

$('shutdown').addEventListener('click', () => {
  confirmAction('Shut down the hub? Nobody can sign in or start a server until it is started again.', 'Shut down').then(
    (ok) => {
      if (!ok) return;
      api('POST', 'shutdown', {}).then(() => {
        document.dispatchEvent(new CustomEvent('admin:shutdown'));
        say('The hub is shutting down.');
        $('shutdown').disabled = true;
      }, fail('Could not shut down the hub'));
    },
  );
});
