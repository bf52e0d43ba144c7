import type { ServiceSpec } from '../config/index.ts';

/** The public path of a service: `<base>services/<name>/` (names are URL-safe by their pattern). */
export function servicePrefix(baseUrl: string, name: string): string {
  return `${baseUrl}services/${encodeURIComponent(name)}/`;
}

/**
 * Where the proxy sends `/services/<name>/...`: the url's origin only. Like upstream (which routes to
 * the service's host), the proxy keeps the whole public path, so a service answers under its prefix.
 */
export function routeTarget(url: string): string {
  return new URL(url).origin;
}

/** Upstream's oauth_available: a service gets an OAuth client when it has a url or a redirect URI. */
export function hasOAuthClient(spec: Pick<ServiceSpec, 'url' | 'oauth_redirect_uri'>): boolean {
  return Boolean(spec.url || spec.oauth_redirect_uri);
}

export function oauthClientId(spec: Pick<ServiceSpec, 'name' | 'oauth_client_id'>): string {
  return spec.oauth_client_id ?? `service-${spec.name}`;
}

/** `oauth_redirect_uri`, else `<prefix>oauth_callback` when the service is proxied, else '' (as upstream). */
export function oauthRedirectUri(
  spec: Pick<ServiceSpec, 'name' | 'url' | 'oauth_redirect_uri'>,
  baseUrl: string,
): string {
  if (spec.oauth_redirect_uri) return spec.oauth_redirect_uri;
  return spec.url ? `${servicePrefix(baseUrl, spec.name)}oauth_callback` : '';
}
