// The admin page's Tokens tab: the hub-wide token inventory through the REST API (GET /hub/api/tokens,
// /hub/api/tokens/summary, POST /hub/api/tokens/revoke), so the API's scope checks decide what is shown
// and what may be revoked. A bulk revoke is always counted first (dry run) and confirmed.
(() => {
  var d = window.jhdata;
  var api = `${d.base_url}api/`;
  var PAGE = 50;
  var PAGED = 'application/jupyterhub-pagination+json';
  var $ = (id) => document.getElementById(id);
  var el = window.tshub.el;
  var state = { offset: 0, total: 0, filter: {} };
  var seq = 0;
  if (!$('tokens-panel')) return;

  function request(method, path, body, accept) {
    return window.tshub.request(method, api + path, body, accept);
  }
  function status(text, isError) {
    $('tokens-status').textContent = text;
    $('tokens-status').className = isError ? 'error' : 'muted';
  }

  /** The form's filters as the API takes them: empty fields left out, dates as the start of that day (UTC). */
  function readFilter() {
    var f = {};
    Array.prototype.forEach.call($('token-filters').elements, (input) => {
      if (!input.name) return;
      if (input.type === 'checkbox') {
        if (input.checked) f[input.name] = 'true';
      } else if (input.value.trim() !== '') {
        f[input.name] = input.type === 'date' ? `${input.value}T00:00:00Z` : input.value.trim();
      }
    });
    return f;
  }
  function query(filter, extra) {
    var q = new URLSearchParams(Object.assign({}, filter, extra || {}));
    return q.toString();
  }

  function when(iso) {
    if (!iso) return document.createTextNode('Never');
    var t = el('time', { datetime: iso, title: iso });
    t.textContent = new Date(iso).toLocaleDateString();
    return t;
  }

  // An inherit token's effective scopes are all its owner's: the first few, the rest counted (all in the title).
  function scopeText(scopes) {
    return scopes.length <= 3 ? scopes.join(' ') : `${scopes.slice(0, 3).join(' ')} … (+${scopes.length - 3})`;
  }

  function row(t) {
    var owner = t.owner.kind === 'service' ? `service ${t.owner.name}` : t.owner.name;
    var stateText =
      t.state === 'blocked' ? `blocked (${(t.policy_reason || '').replace('token_policy_', '')})` : t.state;
    return el('tr', { className: t.state === 'active' ? '' : 'inactive' }, [
      el('td', {}, [el('code', { text: `${t.id} ${t.prefix || ''}` })]),
      el('td', { text: owner }),
      el('td', { text: t.token_kind }),
      el('td', { text: t.note }),
      el('td', { className: 'scopes', title: t.scopes.join(' '), text: scopeText(t.scopes) }),
      el('td', {}, [when(t.created)]),
      el('td', {}, [when(t.last_activity)]),
      el('td', {}, [when(t.expires_at)]),
      el('td', { text: stateText }),
    ]);
  }

  function load() {
    var mine = ++seq;
    status('Loading…');
    return request(
      'GET',
      `tokens?${query(state.filter, { offset: state.offset, limit: PAGE })}`,
      undefined,
      PAGED,
    ).then(
      (r) => {
        if (mine !== seq) return;
        state.total = r._pagination.total;
        var body = $('tokens').tBodies[0];
        body.replaceChildren.apply(body, r.items.map(row));
        var last = Math.min(state.offset + r.items.length, state.total);
        $('tokens-range').textContent = state.total ? `${state.offset + 1}–${last} of ${state.total}` : '';
        $('tokens-prev').disabled = state.offset === 0;
        $('tokens-next').disabled = last >= state.total;
        status(state.total ? `${state.total} tokens match.` : 'No token matches.');
      },
      (err) => {
        if (mine === seq) status(`Could not list tokens: ${err.message}`, true);
      },
    );
  }

  // The hygiene figures: each a link that applies the filter it counts.
  var HYGIENE = [
    ['never_expires', 'never expire', { never_expires: 'true', state: 'active,blocked' }],
    ['idle_90_days', 'not used for 90 days', { idle_days: '90', state: 'active,blocked' }],
    ['admin_scopes', 'hold admin scopes', { admin_scopes: 'true', state: 'active,blocked' }],
    ['expiring_7_days', 'expire within a week', null],
    ['blocked_by_policy', 'are blocked by the token policy', { state: 'blocked' }],
  ];
  function loadSummary() {
    return request('GET', 'tokens/summary').then(
      (s) => {
        var list = $('token-hygiene');
        list.replaceChildren.apply(
          list,
          HYGIENE.map(([key, text, filter]) => {
            var f = filter || {
              expires_before: new Date(Date.now() + 7 * 86400000).toISOString(),
              state: 'active,blocked',
            };
            var a = el('a', { href: '#tokens-heading', text: `${s[key]} ${text}` });
            a.addEventListener('click', (e) => {
              e.preventDefault();
              $('token-filters').reset();
              state.filter = f;
              state.offset = 0;
              load();
            });
            return el('li', { className: s[key] ? 'warn' : '' }, [a]);
          }),
        );
      },
      (err) => status(`Could not read the token summary: ${err.message}`, true),
    );
  }

  var dialog = $('confirm');
  function confirmRevoke(count) {
    $('confirm-text').textContent =
      `Revoke ${count} token${count === 1 ? '' : 's'}? Whoever uses them is refused from the next request on; this cannot be undone.`;
    $('confirm-ok').textContent = `Revoke ${count}`;
    dialog.returnValue = '';
    dialog.showModal();
    $('confirm-cancel').focus();
    return new Promise((resolve) => {
      dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
    });
  }

  function bulkRevoke() {
    var filter = state.filter;
    if (!Object.keys(filter).length) {
      status('Set a filter first: a bulk revoke needs one.', true);
      return Promise.resolve();
    }
    return request('POST', 'tokens/revoke', { filter: filter, dry_run: true })
      .then((dry) => {
        if (dry.matched === 0) {
          status('No usable token matches: nothing to revoke.');
          return null;
        }
        return confirmRevoke(dry.matched).then((ok) =>
          ok ? request('POST', 'tokens/revoke', { filter: filter }) : null,
        );
      })
      .then((done) => {
        if (!done) return;
        // Said once the list shows the change, so the reload's own status does not hide it.
        return Promise.all([load(), loadSummary()]).then(() => status(`Revoked ${done.revoked} tokens.`));
      })
      .catch((err) => status(`Could not revoke: ${err.message}`, true));
  }

  $('token-filters').addEventListener('submit', (e) => {
    e.preventDefault();
    state.filter = readFilter();
    state.offset = 0;
    load();
  });
  $('token-filters').addEventListener('reset', () => {
    state.filter = {};
    state.offset = 0;
    setTimeout(load);
  });
  $('tokens-prev').addEventListener('click', () => {
    state.offset = Math.max(0, state.offset - PAGE);
    load();
  });
  $('tokens-next').addEventListener('click', () => {
    state.offset += PAGE;
    load();
  });
  $('tokens-revoke').addEventListener('click', () => {
    $('tokens-revoke').disabled = true;
    bulkRevoke().then(() => {
      $('tokens-revoke').disabled = false;
    });
  });
  loadSummary();
  load();
})();
