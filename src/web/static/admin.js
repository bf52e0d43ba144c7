// The admin page. It holds no privileges of its own: every action is a REST API call with the
// session's XSRF token (X-XSRFToken), so the API's scope checks decide what an admin may do.
(() => {
  var d = window.jhdata;
  var api = `${d.base_url}api/`;
  var PAGE = d.admin_page_size || 50;
  var $ = (id) => document.getElementById(id);
  var state = { offset: 0, filter: '', sort: 'name', desc: false, total: 0 };
  var pollTimer = null;
  var listSeq = 0;
  var el = window.tshub.el;
  function request(method, path, body, paginated) {
    return window.tshub.request(
      method,
      api + path,
      body,
      paginated ? 'application/jupyterhub-pagination+json' : undefined,
    );
  }

  function say(text) {
    $('admin-error').textContent = '';
    $('admin-error').className = '';
    $('admin-status').textContent = text;
  }
  function fail(what) {
    return (err) => {
      $('admin-status').textContent = '';
      $('admin-error').textContent = `${what}: ${err.message}`;
      $('admin-error').className = 'error';
    };
  }

  function button(text, label, onClick, className) {
    var b = el('button', {
      type: 'button',
      className: `small ${className || 'secondary'}`,
      text: text,
      'aria-label': label,
    });
    b.addEventListener('click', () => {
      b.disabled = true;
      Promise.resolve(onClick()).then(() => {
        b.disabled = false;
      });
    });
    return b;
  }

  // --- confirming -------------------------------------------------------------------------------
  // A native modal <dialog>: it traps focus, closes on Escape and returns focus to the opener.
  var dialog = $('confirm');
  function confirmAction(text, okLabel) {
    $('confirm-text').textContent = text;
    $('confirm-ok').textContent = okLabel;
    dialog.returnValue = '';
    dialog.showModal();
    $('confirm-cancel').focus();
    return new Promise((resolve) => {
      dialog.addEventListener(
        'close',
        () => {
          resolve(dialog.returnValue === 'ok');
        },
        { once: true },
      );
    });
  }

  // --- users ------------------------------------------------------------------------------------
  function serverStatus(u) {
    var s = u.servers?.[''];
    if (s?.pending) return 'pending';
    if (s?.ready) return 'ready';
    return 'stopped';
  }

  function when(iso) {
    if (!iso) return document.createTextNode('Never');
    var t = el('time', { datetime: iso, title: iso });
    t.textContent = new Date(iso).toLocaleString();
    return t;
  }

  function userPath(u) {
    return `users/${encodeURIComponent(u.name)}`;
  }

  function act(promise, done, what) {
    return promise.then(() => {
      say(done);
      return loadUsers();
    }, fail(what));
  }

  function userRow(u) {
    var status = serverStatus(u);
    var actions = el('td', { className: 'actions' });
    if (status === 'stopped') {
      actions.appendChild(
        button(
          'Start',
          `Start the server of ${u.name}`,
          () =>
            act(
              request('POST', `${userPath(u)}/server`),
              `Starting the server of ${u.name}.`,
              `Could not start the server of ${u.name}`,
            ),
          'primary',
        ),
      );
    } else {
      actions.appendChild(
        button('Stop', `Stop the server of ${u.name}`, () =>
          act(
            request('DELETE', `${userPath(u)}/server`),
            `Stopping the server of ${u.name}.`,
            `Could not stop the server of ${u.name}`,
          ),
        ),
      );
      actions.appendChild(button('Logs', `Show the server logs of ${u.name}`, () => window.tshub.showLogs(u.name)));
    }
    actions.appendChild(
      button(
        u.admin ? 'Remove admin' : 'Make admin',
        (u.admin ? 'Remove admin rights from ' : 'Make admin: ') + u.name,
        () =>
          act(
            request('PATCH', userPath(u), { admin: !u.admin }),
            u.name + (u.admin ? ' is no longer an admin.' : ' is now an admin.'),
            `Could not change ${u.name}`,
          ),
      ),
    );
    actions.appendChild(
      button(
        'Delete',
        `Delete user ${u.name}`,
        () =>
          confirmAction(
            `Delete the user ${u.name}? Their server is stopped and their tokens revoked.`,
            `Delete ${u.name}`,
          ).then((ok) => {
            if (ok)
              return act(request('DELETE', userPath(u)), `Deleted ${u.name}.`, `Could not delete ${u.name}`).then(
                loadGroups,
              );
          }),
        'danger',
      ),
    );
    return el('tr', { 'data-user': u.name }, [
      el('th', { scope: 'row', text: u.name }),
      el('td', {}, [
        u.admin ? el('span', { className: 'badge', text: 'admin' }) : el('span', { className: 'muted', text: 'user' }),
      ]),
      el('td', {}, [el('span', { className: `server-status status-${status}`, text: status })]),
      el('td', {}, [when(u.last_activity)]),
      actions,
    ]);
  }

  function renderSort() {
    Array.prototype.forEach.call(document.querySelectorAll('#users th[data-sort]'), (th) => {
      var key = th.getAttribute('data-sort');
      th.setAttribute('aria-sort', key === state.sort ? (state.desc ? 'descending' : 'ascending') : 'none');
    });
  }

  function loadUsers() {
    var seq = ++listSeq;
    var q = `users?include_stopped_servers=1&offset=${state.offset}&limit=${PAGE}&sort=${state.desc ? '-' : ''}${state.sort}`;
    if (state.filter) q += `&name_filter=${encodeURIComponent(state.filter)}`;
    return request('GET', q, undefined, true).then((page) => {
      if (seq !== listSeq) return; // a newer search or page is on its way
      // Keep focus on the same control of the same row across the re-render.
      var active = document.activeElement;
      var focusRow = active?.closest?.('#users tbody tr');
      var focusUser = focusRow?.getAttribute('data-user');
      var focusText = focusUser && active.textContent;
      var items = page.items;
      state.total = page._pagination.total;
      var tbody = document.querySelector('#users tbody');
      tbody.textContent = '';
      items.forEach((u) => {
        tbody.appendChild(userRow(u));
      });
      var status = $('users-status');
      status.textContent = items.length
        ? ''
        : state.filter
          ? `No user name contains \u201c${state.filter}\u201d.`
          : 'There are no users.';
      status.hidden = items.length > 0;
      $('page-range').textContent = items.length
        ? `Users ${state.offset + 1}\u2013${state.offset + items.length} of ${state.total}`
        : '';
      $('prev-page').disabled = state.offset === 0;
      $('next-page').disabled = !page._pagination.next;
      status.setAttribute('data-loaded', 'true');
      if (focusUser) {
        const row = tbody.querySelector(`tr[data-user="${CSS.escape(focusUser)}"]`);
        const buttons = row ? Array.prototype.slice.call(row.querySelectorAll('button')) : [];
        const again = buttons.filter((b) => b.textContent === focusText)[0] || buttons[0];
        if (again) again.focus();
      }
      // Servers on their way up or down: look again until they settle.
      clearTimeout(pollTimer);
      if (items.some((u) => serverStatus(u) === 'pending')) pollTimer = setTimeout(loadUsers, 1500);
    }, fail('Could not list the users'));
  }

  var searchTimer = null;
  $('user-filter').addEventListener('input', () => {
    clearTimeout(searchTimer);
    // Wait for a pause in typing, so each keystroke is not a request.
    searchTimer = setTimeout(() => {
      state.filter = $('user-filter').value.trim();
      state.offset = 0;
      loadUsers();
    }, 250);
  });
  $('user-search').addEventListener('submit', (ev) => {
    ev.preventDefault();
  });
  Array.prototype.forEach.call(document.querySelectorAll('#users button.sort'), (b) => {
    b.addEventListener('click', () => {
      var key = b.getAttribute('data-sort');
      if (state.sort === key) state.desc = !state.desc;
      else {
        state.sort = key;
        state.desc = key === 'last_activity';
      } // most recent first is the useful start
      state.offset = 0;
      renderSort();
      loadUsers();
    });
  });
  $('prev-page').addEventListener('click', () => {
    state.offset = Math.max(0, state.offset - PAGE);
    loadUsers();
  });
  $('next-page').addEventListener('click', () => {
    state.offset += PAGE;
    loadUsers();
  });

  $('add-users').addEventListener('submit', (ev) => {
    ev.preventDefault();
    var names = $('new-usernames')
      .value.split('\n')
      .map((s) => s.trim())
      .filter(Boolean);
    if (!names.length) {
      fail('Could not add users')(new Error('enter at least one username'));
      return;
    }
    var b = $('add-users-button');
    b.disabled = true;
    request('POST', 'users', { usernames: names, admin: $('new-admin').checked })
      .then((created) => {
        $('new-usernames').value = '';
        $('new-admin').checked = false;
        say(`Added ${created.map((u) => u.name).join(', ')}.`);
        return loadUsers();
      }, fail('Could not add users'))
      .then(() => {
        b.disabled = false;
      });
  });

  // --- groups -----------------------------------------------------------------------------------
  function groupItem(g) {
    var gp = `groups/${encodeURIComponent(g.name)}`;
    var members = el('ul', { className: 'members', 'aria-label': `Members of ${g.name}` });
    (g.users || []).forEach((name) => {
      members.appendChild(
        el('li', {}, [
          `${name} `,
          button('Remove', `Remove ${name} from ${g.name}`, () =>
            request('DELETE', `${gp}/users`, { users: [name] }).then(
              () => {
                say(`Removed ${name} from ${g.name}.`);
                return loadGroups();
              },
              fail(`Could not remove ${name}`),
            ),
          ),
        ]),
      );
    });
    if (!(g.users || []).length) members.appendChild(el('li', { className: 'muted', text: 'No members.' }));
    var id = `member-${g.name.replace(/[^A-Za-z0-9_-]/g, '_')}`;
    var input = el('input', { type: 'text', id: id, autocomplete: 'off', spellcheck: 'false' });
    var form = el('form', { className: 'copy-row' }, [
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
      var name = input.value.trim();
      if (!name) return;
      request('POST', `${gp}/users`, { users: [name] }).then(
        () => {
          say(`Added ${name} to ${g.name}.`);
          return loadGroups();
        },
        fail(`Could not add ${name} to ${g.name}`),
      );
    });
    var del = button(
      'Delete group',
      `Delete group ${g.name}`,
      () =>
        confirmAction(`Delete the group ${g.name}? Its members keep their accounts.`, `Delete ${g.name}`).then((ok) => {
          if (ok)
            return request('DELETE', gp).then(
              () => {
                say(`Deleted the group ${g.name}.`);
                return loadGroups();
              },
              fail(`Could not delete ${g.name}`),
            );
        }),
      'danger',
    );
    return el('li', { className: 'card group', 'data-group': g.name }, [
      el('h3', { text: g.name }),
      members,
      form,
      del,
    ]);
  }

  function loadGroups() {
    // Without the pagination header the API returns up to its maximum page: enough for a list of groups.
    return request('GET', 'groups').then((groups) => {
      var list = $('groups');
      list.textContent = '';
      groups.forEach((g) => {
        list.appendChild(groupItem(g));
      });
      $('groups-status').textContent = groups.length ? '' : 'There are no groups.';
      $('groups-status').hidden = groups.length > 0;
    }, fail('Could not list the groups'));
  }

  $('add-group').addEventListener('submit', (ev) => {
    ev.preventDefault();
    var name = $('new-group').value.trim();
    if (!name) return;
    request('POST', `groups/${encodeURIComponent(name)}`).then(
      () => {
        $('new-group').value = '';
        say(`Created the group ${name}.`);
        return loadGroups();
      },
      fail(`Could not create the group ${name}`),
    );
  });

  // --- shutdown ---------------------------------------------------------------------------------
  $('shutdown').addEventListener('click', () => {
    confirmAction(
      'Shut down the hub? Nobody can sign in or start a server until it is started again.',
      'Shut down',
    ).then((ok) => {
      if (!ok) return;
      request('POST', 'shutdown', {}).then(() => {
        clearTimeout(pollTimer);
        say('The hub is shutting down.');
        $('shutdown').disabled = true;
      }, fail('Could not shut down the hub'));
    });
  });

  renderSort();
  loadUsers();
  loadGroups();
})();
