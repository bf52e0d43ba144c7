// The home page's Start and Stop buttons: the REST API with the session's XSRF token, as JupyterHub's
// home page does. The JSON content type matters: the API ignores the login cookie on POSTs of any other type.
(function () {
  'use strict';
  var d = window.jhdata;
  var status = document.getElementById('server-status');
  var api = d.base_url + 'api/users/' + encodeURIComponent(d.user) + '/server';
  function call(method, button) {
    button.disabled = true;
    status.textContent = method === 'POST' ? 'Starting your server…' : 'Stopping your server…';
    return fetch(api, { method: method, headers: { 'X-XSRFToken': d.xsrf_token, 'Content-Type': 'application/json' }, credentials: 'same-origin' })
      .then(function (r) {
        if (r.ok) {
          if (method === 'POST') window.location.href = d.base_url + 'spawn-pending/' + encodeURIComponent(d.user);
          else window.location.reload();
          return;
        }
        return r.json().catch(function () { return {}; }).then(function (body) {
          status.textContent = 'Error ' + r.status + ': ' + (body.message || r.statusText);
          button.disabled = false;
        });
      }, function (e) { status.textContent = 'Error: ' + e; button.disabled = false; });
  }
  var start = document.getElementById('start');
  var stop = document.getElementById('stop');
  if (start) start.addEventListener('click', function () { call('POST', start); });
  if (stop) stop.addEventListener('click', function () { call('DELETE', stop); });
})();
