// The token page: everything goes through the REST API with the session's XSRF token (X-XSRFToken),
// so the page itself never holds a token except the one just created, shown once.
(() => {
  var d = window.jhdata;
  var api = `${d.base_url}api/users/${encodeURIComponent(d.user)}/tokens`;
  var $ = (id) => document.getElementById(id);
  var form = $('token-form');
  var message = $('token-message');
  var request = window.tshub.request;
  var el = window.tshub.el;

  function say(text, kind) {
    message.textContent = text;
    message.className = text ? (kind === 'error' ? 'error' : 'success') : '';
  }

  function when(iso, never) {
    if (!iso) return document.createTextNode(never);
    var t = el('time', { datetime: iso, title: iso });
    t.textContent = new Date(iso).toLocaleString();
    return t;
  }

  function lastUsed(t) {
    if (!t.last_activity) return el('span', { text: 'Never' });
    return el('span', { className: 'last-used' }, [
      when(t.last_activity, 'Never'),
      t.last_used_ip ? ` from ${t.last_used_ip}` : '',
    ]);
  }

  function scopeCell(scopes) {
    var td = el('td', { className: 'scopes' });
    (scopes || []).forEach((s) => {
      td.appendChild(el('code', { text: s }));
    });
    if (!scopes?.length) td.textContent = 'none';
    return td;
  }

  function label(t) {
    return t.note || t.prefix || t.id;
  }

  // --- the one-time display -------------------------------------------------------------------
  var shown = $('new-token');
  var value = $('new-token-value');
  function showToken(token, heading) {
    value.value = token;
    $('new-token-heading').textContent = heading;
    $('copy-status').textContent = '';
    shown.hidden = false;
    shown.focus();
  }
  $('copy-token').addEventListener('click', () => {
    var done = () => {
      $('copy-status').textContent = 'Copied to the clipboard.';
    };
    var fallback = () => {
      // No clipboard API (plain http on another host, or permission refused): select it for the user.
      value.focus();
      value.select();
      var ok = false;
      try {
        ok = document.execCommand('copy');
      } catch (_e) {
        ok = false;
      }
      $('copy-status').textContent = ok
        ? 'Copied to the clipboard.'
        : 'The token is selected: press Ctrl+C (or \u2318C) to copy it.';
    };
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(value.value).then(done, fallback);
    else fallback();
  });

  // --- creating ---------------------------------------------------------------------------------
  var checks = Array.prototype.slice.call(document.querySelectorAll('.scope-choice'));
  function syncScopeMode() {
    var some = $('scope-mode-some').checked;
    checks.forEach((c) => {
      c.disabled = !some;
    });
  }
  $('scope-mode-inherit').addEventListener('change', syncScopeMode);
  $('scope-mode-some').addEventListener('change', syncScopeMode);
  syncScopeMode();

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    var body = { note: $('token-note').value.trim() || 'Requested via token page' };
    var exp = $('token-expires').value;
    body.expires_in = exp === 'never' ? null : Number(exp);
    var cidrs = cidrList($('token-cidrs').value);
    if (cidrs.length) body.allowed_cidrs = cidrs;
    var notBefore = $('token-not-before').value;
    if (notBefore) body.not_before = new Date(notBefore).toISOString();
    if ($('scope-mode-some').checked) {
      body.scopes = checks.filter((c) => c.checked).map((c) => c.value);
      if (!body.scopes.length) {
        say('Select at least one permission, or choose "All of my permissions".', 'error');
        return;
      }
    }
    var button = $('create-token');
    button.disabled = true;
    say('');
    request('POST', api, body)
      .then(
        (t) => {
          showToken(t.token, `Your new token: ${label(t)}`);
          return refresh();
        },
        (err) => {
          shown.hidden = true;
          value.value = '';
          say(`Could not create the token: ${err.message}`, 'error');
        },
      )
      .then(() => {
        button.disabled = false;
      });
  });

  function cidrList(text) {
    return text.split(/[\s,]+/).filter((c) => c !== '');
  }

  // --- binding (docs/tokens.md "Binding") -------------------------------------------------------
  function bindingText(t) {
    var parts = [];
    if (t.allowed_cidrs?.length) parts.push(`only from ${t.allowed_cidrs.join(', ')}`);
    if (t.not_before) parts.push(`not before ${new Date(t.not_before).toLocaleString()}`);
    return parts.join('; ');
  }

  function bind(t, what) {
    var cidrs = window.prompt(
      `Networks ${what} may be used from (addresses or CIDRs, separated by spaces or commas; empty: anywhere):`,
      (t.allowed_cidrs || []).join(' '),
    );
    if (cidrs === null) return;
    var nb = window.prompt(
      `Not before (an ISO time such as 2030-01-31T09:00:00Z; empty: no start time):`,
      t.not_before || '',
    );
    if (nb === null) return;
    var body = { allowed_cidrs: cidrList(cidrs), not_before: nb.trim() === '' ? null : nb.trim() };
    request('PATCH', `${api}/${encodeURIComponent(t.id)}`, body).then(
      (n) => {
        say(`${what}: ${bindingText(n) || 'usable from anywhere, at any time'}.`);
        return refresh();
      },
      (err) => {
        say(`Could not change the binding of ${what}: ${err.message}`, 'error');
      },
    );
  }

  // --- the lists --------------------------------------------------------------------------------
  function revoke(t, what) {
    if (!window.confirm(`Revoke ${what}? Anything using it stops working at once.`)) return;
    request('DELETE', `${api}/${encodeURIComponent(t.id)}`).then(
      () => {
        say(`Revoked ${what}.`);
        return refresh();
      },
      (err) => {
        say(`Could not revoke ${what}: ${err.message}`, 'error');
      },
    );
  }

  function rotate(t) {
    var what = `token \u201c${label(t)}\u201d`;
    var grace = $('rotate-grace');
    var graceSeconds = grace ? Number(grace.value) : 0;
    var ends = graceSeconds ? grace.options[grace.selectedIndex].text.toLowerCase() : 'at once';
    if (
      !window.confirm(
        `Replace ${what} by a new one with the same name, scopes and lifetime? The old one stops working ${ends}.`,
      )
    )
      return;
    request('POST', `${api}/${encodeURIComponent(t.id)}/rotate`, { grace_seconds: graceSeconds }).then(
      (n) => {
        say('');
        showToken(n.token, `The replacement of ${what}`);
        return refresh();
      },
      (err) => {
        say(`Could not rotate ${what}: ${err.message}`, 'error');
      },
    );
  }

  function button(text, cls, onClick, name) {
    var b = el('button', { type: 'button', className: `small ${cls}`, text: text, 'aria-label': name });
    b.addEventListener('click', onClick);
    return b;
  }

  function fill(table, rows, status, emptyText) {
    var tbody = table.querySelector('tbody');
    tbody.textContent = '';
    rows.forEach((r) => {
      tbody.appendChild(r);
    });
    table.hidden = rows.length === 0;
    status.hidden = rows.length !== 0;
    status.textContent = emptyText;
  }

  // A rotated token ends by expiring at the end of its grace period; its successor names it in rotated_from.
  function why(t, replaced) {
    if (t.revoked_at) return { at: t.revoked_at, text: 'Revoked' };
    if (replaced[t.id]) return { at: t.expires_at, text: 'Replaced by a rotation' };
    return { at: t.expires_at, text: 'Expired' };
  }

  function render(list) {
    var mine = list.api_tokens.filter((t) => t.oauth_client === 'JupyterHub');
    fill(
      $('api-tokens'),
      mine.map((t) => {
        var name = `token \u201c${label(t)}\u201d`;
        return el('tr', { 'data-token-id': t.id }, [
          el('td', {}, [t.note || '', bindingText(t) ? el('div', { className: 'muted', text: bindingText(t) }) : '']),
          el('td', {}, [el('code', { text: t.prefix || '' })]),
          el('td', {}, [when(t.created, '')]),
          el('td', {}, [when(t.expires_at, 'Never')]),
          el('td', {}, [lastUsed(t)]),
          scopeCell(t.scopes),
          el('td', {}, [
            // --- usage details (issue 21, token-usage.js) ---
            button(
              'Usage',
              'secondary',
              (ev) => {
                window.tshubTokenUsage.toggle(api, t, ev.currentTarget);
              },
              `Usage of ${name}`,
            ),
            // --- end of usage details ---
            button(
              'Bind',
              'secondary',
              () => {
                bind(t, name);
              },
              `Change where and from when ${name} may be used`,
            ),
            button(
              'Rotate',
              'secondary',
              () => {
                rotate(t);
              },
              `Rotate ${name}`,
            ),
            button(
              'Revoke',
              'danger',
              () => {
                revoke(t, name);
              },
              `Revoke ${name}`,
            ),
          ]),
        ]);
      }),
      $('list-status'),
      'You have no API tokens.',
    );

    // Tokens held by OAuth clients, one row per client (revoking one revokes them all, in the API).
    var apps = {};
    var order = [];
    list.api_tokens.forEach((t) => {
      if (t.oauth_client === 'JupyterHub') return;
      var a = apps[t.oauth_client];
      if (!a) {
        a = apps[t.oauth_client] = { name: t.oauth_client, tokens: [], scopes: {}, last: null, first: t.created };
        order.push(a);
      }
      a.tokens.push(t);
      (t.scopes || []).forEach((s) => {
        a.scopes[s] = true;
      });
      if (t.last_activity && (!a.last || t.last_activity > a.last)) a.last = t.last_activity;
      if (t.created < a.first) a.first = t.created;
    });
    fill(
      $('apps'),
      order.map((a) =>
        el('tr', {}, [
          el('td', { text: a.name }),
          scopeCell(Object.keys(a.scopes).sort()),
          el('td', {}, [when(a.last, 'Never')]),
          el('td', {}, [when(a.first, '')]),
          el('td', {}, [
            button(
              'Revoke',
              'danger',
              () => {
                revoke(a.tokens[0], `the access of \u201c${a.name}\u201d`);
              },
              `Revoke ${a.name}`,
            ),
          ]),
        ]),
      ),
      $('apps-status'),
      'None: no application has been allowed to act for you.',
    );

    var inactive = list.inactive_tokens || [];
    var replaced = {};
    list.api_tokens.concat(inactive).forEach((t) => {
      if (t.rotated_from) replaced[t.rotated_from] = true;
    });
    fill(
      $('inactive-tokens'),
      inactive.map((t) => {
        var w = why(t, replaced);
        return el('tr', { 'data-token-id': t.id }, [
          el('td', {}, [t.note || '']),
          el('td', {}, [el('code', { text: t.prefix || '' })]),
          el('td', {}, [when(t.created, '')]),
          el('td', {}, [when(w.at, '')]),
          el('td', { text: w.text }),
          el('td', {}, [lastUsed(t)]),
          scopeCell(t.scopes),
        ]);
      }),
      $('inactive-status'),
      'None.',
    );
  }

  function showUsage(u) {
    $('token-limit').textContent =
      u.max > 0 ? `${u.active} of ${u.max} tokens in use` : `${u.active} tokens in use (no limit)`;
  }

  function refresh() {
    return Promise.all([
      request('GET', `${api}?include_inactive=1`).then(render),
      request('GET', `${d.base_url}token/usage`).then(showUsage),
    ]).then(
      () => {
        $('list-status').setAttribute('data-loaded', 'true');
      },
      (err) => {
        $('list-status').hidden = false;
        $('list-status').textContent = `Could not load your tokens: ${err.message}`;
      },
    );
  }
  refresh();
})();
