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
