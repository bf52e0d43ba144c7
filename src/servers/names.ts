/** The URL prefix a server lives under: /user/<name>/ or /user/<name>/<server>/. */
export function serverPrefix(baseUrl: string, user: string, server: string): string {
  return `${baseUrl}user/${encodeURIComponent(user)}/${server ? `${encodeURIComponent(server)}/` : ''}`;
}

/** The OAuth client id of a server, as JupyterHub names it. */
export function serverClientId(user: string, server: string): string {
  return `jupyterhub-user-${encodeURIComponent(user)}${server ? `-${encodeURIComponent(server)}` : ''}`;
}

/** Names for new named servers: 1–30 of [a-z0-9-], starting with a letter, ending alphanumeric, no '--'. */
export function isValidServerName(name: string): boolean {
  return /^[a-z](?:[a-z0-9-]{0,28}[a-z0-9])?$/.test(name) && !name.includes('--');
}

export function serverLogName(user: string, server: string): string {
  return server ? `${user}:${server}` : user;
}
