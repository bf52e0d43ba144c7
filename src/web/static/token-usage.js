// The token page's usage details (issue 21): a row under a token with its last IPs and user agents,
// requests and errors per day and its top routes, read from /hub/api/users/{name}/tokens/{id}/usage.
window.tshubTokenUsage = (() => {
  var request = window.tshub.request;
  var el = window.tshub.el;

  function time(iso) {
    var t = el('time', { datetime: iso, title: iso });
    t.textContent = new Date(iso).toLocaleString();
    return t;
  }

  function table(caption, heads, rows, emptyText) {
    if (!rows.length) return el('p', { className: 'muted', text: `${caption}: ${emptyText}` });
    return el('table', { className: 'usage' }, [
      el('caption', { text: caption }),
      el('thead', {}, [
        el(
          'tr',
          {},
          heads.map((h) => el('th', { scope: 'col', text: h })),
        ),
      ]),
      el(
        'tbody',
        {},
        rows.map((cells) =>
          el(
            'tr',
            {},
            cells.map((c) => el('td', {}, [typeof c === 'number' ? String(c) : c])),
          ),
        ),
      ),
    ]);
  }

  function clients(caption, list, key) {
    return table(
      caption,
      [key === 'ip' ? 'IP' : 'User agent', 'Last seen', 'First seen', 'Requests'],
      list.map((c) => [el('code', { text: c[key] }), time(c.last_seen), time(c.first_seen), c.requests]),
      'none yet',
    );
  }

  function details(u) {
    return el('div', { className: 'usage-details' }, [
      clients('Last client IPs', u.ips, 'ip'),
      clients('Last user agents', u.user_agents, 'user_agent'),
      table(
        `Requests per day (UTC, last ${u.retention_days} days)`,
        ['Day', 'Requests', 'Errors'],
        u.days.map((x) => [x.day, x.requests, x.errors]),
        'none yet',
      ),
      table(
        'Top routes',
        ['Route', 'Requests'],
        u.top_routes.map((r) => [el('code', { text: r.route }), r.requests]),
        'none yet',
      ),
    ]);
  }

  /** Shows (or hides, when shown) the usage of token `t` in a row after the one of `button`; `api`: the user's tokens URL. */
  function toggle(api, t, button) {
    var row = button.closest('tr');
    var next = row.nextElementSibling;
    if (next?.classList.contains('usage-row')) {
      next.remove();
      button.setAttribute('aria-expanded', 'false');
      return;
    }
    button.setAttribute('aria-expanded', 'true');
    var cell = el('td', { colspan: String(row.children.length), 'aria-live': 'polite', text: 'Loading usage…' });
    var added = el('tr', { className: 'usage-row', 'data-usage-for': t.id }, [cell]);
    row.after(added);
    request('GET', `${api}/${encodeURIComponent(t.id)}/usage`).then(
      (u) => {
        cell.textContent = '';
        cell.appendChild(details(u));
      },
      (err) => {
        cell.textContent = `Could not load the usage: ${err.message}`;
      },
    );
  }

  return { toggle: toggle };
})();
