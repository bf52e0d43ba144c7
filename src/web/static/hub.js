// Shared by the page scripts: REST API calls with the session's XSRF token, and a small element builder.
window.tshub = (() => {
  var d = window.jhdata;

  /** A REST API call as the signed-in user; resolves with the JSON reply, rejects with the API's message. */
  function request(method, url, body, accept) {
    var headers = { 'X-XSRFToken': d.xsrf_token, Accept: accept || 'application/json' };
    // The API takes the login cookie only with a JSON body type on writes.
    if (method !== 'GET') headers['Content-Type'] = 'application/json';
    return fetch(url, {
      method: method,
      headers: headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then((r) =>
      r.text().then((text) => {
        var json = null;
        try {
          json = text ? JSON.parse(text) : null;
        } catch (_e) {
          json = null;
        }
        if (!r.ok) {
          const err = new Error(json?.message || `${r.status} ${r.statusText}`);
          err.status = r.status;
          throw err;
        }
        return json;
      }),
    );
  }

  /** An element with attributes ('text' and 'className' set those properties) and children. */
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach((k) => {
      if (k === 'text') e.textContent = attrs[k];
      else if (k === 'className') e.className = attrs[k];
      else e.setAttribute(k, attrs[k]);
    });
    (children || []).forEach((c) => {
      if (c) e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return e;
  }

  return { request: request, el: el };
})();
