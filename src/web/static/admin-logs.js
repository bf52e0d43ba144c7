// A server's last lines of output (GET …/logs, which needs admin:servers) in a modal dialog, which
// returns focus to the button that opened it.
import { api, serverPath } from './admin-api.js';
import { $ } from './admin-ui.js';

export function showLogs(user, server) {
  $('logs-heading').textContent = server ? `Logs of server ${server} of ${user}` : `Server logs of ${user}`;
  $('logs-text').textContent = 'Loading…';
  $('logs').showModal();
  return api('GET', `${serverPath(user, server)}/logs?tail=200`).then(
    (r) => {
      $('logs-text').textContent = r.lines.length ? r.lines.join('\n') : '(no output yet)';
    },
    (err) => {
      $('logs-text').textContent = `Could not read the logs: ${err.message}`;
    },
  );
}
