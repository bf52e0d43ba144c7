// The home page's Start and Stop buttons: the REST API with the session's XSRF token, as JupyterHub's
// home page does. The JSON content type matters: the API ignores the login cookie on POSTs of any other type.
(() => {
  var d = window.jhdata;
  var status = document.getElementById('server-status');
  var api = `${d.base_url}api/users/${encodeURIComponent(d.user)}/server`;
  function call(method, button) {
    button.disabled = true;
    status.textContent = method === 'POST' ? 'Starting your server…' : 'Stopping your server…';
    return fetch(api, {
      method: method,
      headers: { 'X-XSRFToken': d.xsrf_token, 'Content-Type': 'application/json' },
      credentials: 'same-origin',
    }).then(
      (r) => {
        if (r.ok) {
          if (method === 'POST') window.location.href = `${d.base_url}spawn-pending/${encodeURIComponent(d.user)}`;
          else window.location.reload();
          return;
        }
        return r
          .json()
          .catch(() => ({}))
          .then((body) => {
            status.textContent = `Error ${r.status}: ${body.message || r.statusText}`;
            button.disabled = false;
          });
      },
      (e) => {
        status.textContent = `Error: ${e}`;
        button.disabled = false;
      },
    );
  }
  // Named servers: the same API under /servers/<name>; a new or started one goes to its progress page.
  var servers = `${d.base_url}api/users/${encodeURIComponent(d.user)}/servers/`;
  function named(method, name, body, button) {
    if (button) button.disabled = true;
    status.textContent = `${(method === 'POST' ? 'Starting ' : 'Stopping ') + name}…`;
    return fetch(servers + encodeURIComponent(name), {
      method: method,
      credentials: 'same-origin',
      body: body ? JSON.stringify(body) : undefined,
      headers: { 'X-XSRFToken': d.xsrf_token, 'Content-Type': 'application/json' },
    }).then(
      (r) => {
        if (r.ok) {
          if (method === 'POST')
            window.location.href = `${d.base_url}spawn-pending/${encodeURIComponent(d.user)}/${encodeURIComponent(name)}`;
          else window.location.reload();
          return;
        }
        return r
          .json()
          .catch(() => ({}))
          .then((b) => {
            status.textContent = `Error ${r.status}: ${b.message || r.statusText}`;
            if (button) button.disabled = false;
          });
      },
      (e) => {
        status.textContent = `Error: ${e}`;
        if (button) button.disabled = false;
      },
    );
  }
  var form = document.getElementById('new-server');
  if (form)
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      named('POST', document.getElementById('new-server-name').value.trim(), null, form.querySelector('button'));
    });
  var table = document.getElementById('named-servers');
  if (table)
    table.addEventListener('click', (ev) => {
      var button = ev.target.closest('button[data-action]');
      if (!button) return;
      var name = button.closest('tr').getAttribute('data-server');
      var action = button.getAttribute('data-action');
      if (action === 'start') named('POST', name, null, button);
      else if (action === 'stop') named('DELETE', name, null, button);
      else if (
        action === 'delete' &&
        window.confirm(`Delete the server "${name}"? Its record is removed; your files stay.`)
      )
        named('DELETE', name, { remove: true }, button);
    });
  var start = document.getElementById('start');
  var stop = document.getElementById('stop');
  if (start)
    start.addEventListener('click', () => {
      call('POST', start);
    });
  if (stop)
    stop.addEventListener('click', () => {
      call('DELETE', stop);
    });
})();

// The Share control of each running server: the sharing API with the session's XSRF token.
(() => {
  var d = window.jhdata;
  var section = document.getElementById('sharing');
  if (!section) return;
  var status = document.getElementById('share-status');
  var owner = encodeURIComponent(d.user);
  function api(method, path, body) {
    return fetch(`${d.base_url}api/${path}`, {
      method: method,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
      headers: { 'X-XSRFToken': d.xsrf_token, 'Content-Type': 'application/json', Accept: 'application/json' },
    }).then((r) => {
      if (r.status === 204) return null;
      return r
        .json()
        .catch(() => ({}))
        .then((b) => {
          if (!r.ok) throw new Error(`Error ${r.status}: ${b.message || r.statusText}`);
          return b;
        });
    });
  }
  function fail(e) {
    status.textContent = e.message || String(e);
  }
  function path(kind, server) {
    return `${kind}/${owner}/${encodeURIComponent(server)}`;
  }
  function load(box) {
    var server = box.getAttribute('data-server');
    var list = box.querySelector('.share-list');
    return api('GET', path('shares', server)).then((shares) => {
      list.textContent = '';
      if (!shares.length) {
        const none = document.createElement('li');
        none.className = 'muted';
        none.textContent = 'Nobody yet.';
        list.appendChild(none);
      }
      shares.forEach((s) => {
        var who = s.kind === 'group' ? s.group.name : s.user.name;
        var li = document.createElement('li');
        li.textContent = `${s.kind} ${who} `;
        var revoke = document.createElement('button');
        revoke.type = 'button';
        revoke.className = 'secondary';
        revoke.textContent = 'Revoke';
        revoke.setAttribute('aria-label', `Revoke the share with ${s.kind} ${who}`);
        revoke.addEventListener('click', () => {
          revoke.disabled = true;
          api('PATCH', path('shares', server), { [s.kind]: who })
            .then(() => {
              status.textContent = `No longer shared with ${s.kind} ${who}.`;
              return load(box);
            })
            .catch(fail);
        });
        li.appendChild(revoke);
        list.appendChild(li);
      });
    }, fail);
  }
  section.querySelectorAll('.share-server').forEach((box) => {
    var server = box.getAttribute('data-server');
    var form = box.querySelector('.share-form');
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      var kind = form.elements.kind.value;
      var name = form.elements.name.value.trim();
      api('POST', path('shares', server), { [kind]: name })
        .then(() => {
          status.textContent = `Shared with ${kind} ${name}.`;
          form.elements.name.value = '';
          return load(box);
        })
        .catch(fail);
    });
    var codeForm = box.querySelector('.share-code-form');
    codeForm.addEventListener('submit', (ev) => {
      ev.preventDefault();
      api('POST', path('share-codes', server), { expires_in: Number(codeForm.elements.expires_in.value) })
        .then((c) => {
          var link = box.querySelector('.share-link');
          link.hidden = false;
          var input = link.querySelector('input');
          input.value = c.full_accept_url || new URL(c.accept_url, window.location.href).toString();
          input.select();
          status.textContent = 'Invitation link made: anyone signed in who opens it gets access until it expires.';
        })
        .catch(fail);
    });
    box.querySelector('[data-action="revoke-codes"]').addEventListener('click', () => {
      api('DELETE', path('share-codes', server))
        .then(() => {
          box.querySelector('.share-link').hidden = true;
          status.textContent = 'Every invitation link of this server is revoked.';
        })
        .catch(fail);
    });
    load(box);
  });
})();
