// Follows the spawn's event stream (the progress API, which needs the XSRF token like any
// cookie-authenticated request: it is in progress_url), then goes to the server, or shows why it failed.
(() => {
  var d = window.jhdata;
  var bar = document.getElementById('progress-bar');
  var message = document.getElementById('progress-message');
  var log = document.getElementById('progress-log');
  var failure = document.getElementById('failure');
  if (!d?.progress_url || !bar) return;
  var es = new EventSource(d.progress_url);
  var stop = document.getElementById('stop-server');
  var stopStatus = document.getElementById('stop-status');
  stop?.addEventListener('click', () => {
    stop.disabled = true;
    stopStatus.textContent = 'Stopping…';
    window.tshub.request('DELETE', d.stop_url).then(
      () => {
        es.close();
        window.location.reload();
      },
      (err) => {
        stop.disabled = false;
        stopStatus.textContent = `Could not stop the server: ${err.message}`;
      },
    );
  });
  es.onmessage = (e) => {
    var ev;
    try {
      ev = JSON.parse(e.data);
    } catch (_err) {
      return;
    }
    if (typeof ev.progress === 'number') {
      bar.value = ev.progress;
      bar.textContent = `${ev.progress}%`;
    }
    if (ev.message) {
      message.textContent = ev.message;
      const li = document.createElement('li');
      li.textContent = ev.message;
      log.appendChild(li);
    }
    if (ev.ready) {
      es.close();
      window.location.href = d.next_url || ev.url;
    } else if (ev.failed) {
      es.close();
      failure.hidden = false;
      document.getElementById('failure-message').textContent = ev.message || 'Spawn failed';
      failure.focus();
    }
  };
  es.onerror = () => {
    if (es.readyState === EventSource.CLOSED) {
      message.textContent = 'Lost track of the server\u2019s progress.';
      document.getElementById('reload').hidden = false;
    }
  };
})();
