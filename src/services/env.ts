import { delimiter } from 'node:path';
import type { ServiceSpec } from '../config/index.ts';
import { keptEnv } from '../spawners/run-as.ts';
import { oauthClientId, oauthRedirectUri, servicePrefix } from './spec.ts';

export interface ServiceEnvInput {
  spec: ServiceSpec;
  baseUrl: string;
  /** Where the hub itself listens: services call its API directly, not through the proxy. */
  hubUrl: string;
  token: string;
  /** Directory of the `tshub` launcher, put first on PATH. */
  launcherDir: string;
  /** HOME, USER, SHELL of the system user the service runs as, when it switches user. */
  account: Record<string, string>;
}

/** The environment of a managed service (API.md §5), `environment` on top, tshub first on PATH. */
export function serviceEnv(i: ServiceEnvInput): Record<string, string> {
  const { spec } = i;
  // HOME too, unlike servers: many tools a service runs need one.
  const env = keptEnv(['HOME']);
  Object.assign(env, i.account);
  const apiUrl = new URL(`${i.baseUrl}hub/api`, i.hubUrl).toString();
  const accessScopes = JSON.stringify(['access:services', `access:services!service=${spec.name}`]);
  Object.assign(env, {
    JUPYTERHUB_SERVICE_NAME: spec.name,
    JUPYTERHUB_API_TOKEN: i.token,
    // Older clients read the token from this name.
    JPY_API_TOKEN: i.token,
    JUPYTERHUB_API_URL: apiUrl,
    JUPYTERHUB_CLIENT_ID: oauthClientId(spec),
    JUPYTERHUB_HOST: '',
    JUPYTERHUB_OAUTH_CALLBACK_URL: oauthRedirectUri(spec, i.baseUrl),
    JUPYTERHUB_OAUTH_ACCESS_SCOPES: accessScopes,
    // JupyterHub 3's HubOAuth reads the access scopes under this older name.
    JUPYTERHUB_OAUTH_SCOPES: accessScopes,
    JUPYTERHUB_OAUTH_CLIENT_ALLOWED_SCOPES: JSON.stringify(spec.oauth_client_allowed_scopes),
    JUPYTERHUB_USER: spec.user ?? '',
    JUPYTERHUB_BASE_URL: i.baseUrl,
    // Set only with subdomains upstream; tshub has none, so it is empty, as for single-user servers.
    JUPYTERHUB_PUBLIC_URL: '',
  });
  if (spec.url) {
    env.JUPYTERHUB_SERVICE_URL = spec.url;
    env.JUPYTERHUB_SERVICE_PREFIX = servicePrefix(i.baseUrl, spec.name);
  }
  Object.assign(env, spec.environment);
  // Last, so that an `environment` PATH still finds tshub's own command first.
  env.PATH = env.PATH ? `${i.launcherDir}${delimiter}${env.PATH}` : i.launcherDir;
  return env;
}
