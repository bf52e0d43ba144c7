// The admin page's log viewer: a server's last lines of output (GET …/logs, which needs admin:servers)
// in a modal dialog, which returns focus to the button that opened it.
(() => {
  var d = window.jhdata;
  var $ = (id) => document.getElementById(id);
  window.tshub.showLogs = (user) => {
    $('logs-heading').textContent = `Server logs of ${user}`;
    $('logs-text').textContent = 'Loading…';
    $('logs').showModal();
    var url = `${d.base_url}api/users/${encodeURIComponent(user)}/server/logs?tail=200`;
    return window.tshub.request('GET', url).then(
      (r) => {
        $('logs-text').textContent = r.lines.length ? r.lines.join('\n') : '(no output yet)';
      },
      (err) => {
        $('logs-text').textContent = `Could not read the logs: ${err.message}`;
      },
    );
  };
})();
