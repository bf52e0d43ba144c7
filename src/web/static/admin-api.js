// The admin page's REST API client. The page holds no privileges of its own: every action is an API call
// with the session's XSRF token, so the API's scope checks decide what an admin may do.
const d = window.jhdata;
const API = `${d.base_url}api/`;

/** Users per page, as the hub tells the page. */
export const PAGE = d.admin_page_size || 50;

/** A JSON API call; `paginated` asks for upstream's {items, _pagination} envelope. */
export function api(method, path, body, paginated) {
  return window.tshub.request(
    method,
    API + path,
    body,
    paginated ? 'application/jupyterhub-pagination+json' : undefined,
  );
}

export function userPath(name) {
  return `users/${encodeURIComponent(name)}`;
}

/** The API path of one server: '' is the default server. */
export function serverPath(user, server) {
  return server ? `${userPath(user)}/servers/${encodeURIComponent(server)}` : `${userPath(user)}/server`;
}

/** Where a server is reached through the proxy (`<prefix>user/<name>/[<server>/]`). */
export function serverUrl(user, server) {
  const named = server ? `${encodeURIComponent(server)}/` : '';
  return `${d.prefix}user/${encodeURIComponent(user)}/${named}`;
}

/** The hub's spawn page for a server, where an admin starts it with options (profiles, form fields). */
export function spawnPageUrl(user, server) {
  const named = server ? `/${encodeURIComponent(server)}` : '';
  return `${d.base_url}spawn/${encodeURIComponent(user)}${named}`;
}

/** Every user the list query matches, page by page (for actions on a whole filtered view). */
export async function allUsers(query) {
  const users = [];
  for (let offset = 0; ; ) {
    const page = await api('GET', `users?${query}&offset=${offset}&limit=${PAGE}`, undefined, true);
    users.push(...page.items);
    if (!page._pagination.next || !page.items.length) return users;
    offset = page._pagination.next.offset;
  }
}

/**
 * Runs `work` on each item, `width` at a time, calling `progress(done)` after each. Resolves with the
 * failures ({item, error}) rather than stopping at the first: one refused server must not hide the others.
 */
export async function eachLimited(items, width, work, progress) {
  const failures = [];
  let next = 0;
  let done = 0;
  async function lane() {
    while (next < items.length) {
      const item = items[next++];
      try {
        await work(item);
      } catch (error) {
        failures.push({ item, error });
      }
      progress(++done);
    }
  }
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, lane));
  return failures;
}
