import type { Config } from '../config/index.ts';

export interface ServerEnvInput {
  config: Config;
  baseUrl: string;
  /** Where servers reach the hub's API directly (not through the proxy). */
  hubUrl: string;
  user: string;
  server: string;
  prefix: string;
  clientId: string;
  token: string;
  /** MEM_LIMIT and friends (resourceEnv), parsed once by the manager. */
  resources: Record<string, string>;
}

/** JupyterHub's environment for a single-user server (Spawner.get_env), before `environment` overrides. */
export function serverEnv(i: ServerEnvInput): Record<string, string> {
  const connect = i.config.spawner.hub_connect_url;
  // As upstream: hub_connect_url replaces where the hub is, the path under it stays the hub's own.
  const apiUrl =
    connect === null
      ? new URL(`${i.baseUrl}hub/api`, i.hubUrl).toString()
      : `${connect.replace(/\/+$/, '')}${i.baseUrl}hub/api`;
  const accessScopes = JSON.stringify([`access:servers!server=${i.user}/${i.server}`, `access:servers!user=${i.user}`]);
  // public_url names the host users reach; without it the server's public URL is unknown (empty, as
  // upstream) and the hub's is taken from bind_url.
  const publicUrl = i.config.public_url || i.config.bind_url;
  return {
    JUPYTERHUB_API_TOKEN: i.token,
    // Older clients read the token from this name.
    JPY_API_TOKEN: i.token,
    JUPYTERHUB_CLIENT_ID: i.clientId,
    JUPYTERHUB_HOST: '',
    JUPYTERHUB_OAUTH_CALLBACK_URL: `${i.prefix}oauth_callback`,
    JUPYTERHUB_OAUTH_ACCESS_SCOPES: accessScopes,
    // JupyterHub 3.0's singleuser reads the access scopes under this older name.
    JUPYTERHUB_OAUTH_SCOPES: accessScopes,
    JUPYTERHUB_OAUTH_CLIENT_ALLOWED_SCOPES: '[]',
    JUPYTERHUB_USER: i.user,
    JUPYTERHUB_SERVER_NAME: i.server,
    JUPYTERHUB_API_URL: apiUrl,
    JUPYTERHUB_ACTIVITY_URL: `${apiUrl}/users/${encodeURIComponent(i.user)}/activity`,
    JUPYTERHUB_BASE_URL: i.baseUrl,
    JUPYTERHUB_SERVICE_PREFIX: i.prefix,
    JUPYTERHUB_PUBLIC_URL: i.config.public_url ? new URL(i.prefix, i.config.public_url).toString() : '',
    JUPYTERHUB_PUBLIC_HUB_URL: new URL(`${i.baseUrl}hub/`, publicUrl).toString(),
    ...(i.config.spawner.disable_user_config ? { JUPYTERHUB_DISABLE_USER_CONFIG: '1' } : {}),
    ...i.resources,
  };
}
