import { Type } from 'typebox';
import type { Static } from 'typebox';
import { bool, entry, nullable, strList, strMap } from './schema-util.ts';

// The name becomes a URL path segment (/services/<name>/) and part of the OAuth client id, so it
// keeps to URL-safe characters and may not be "." or "..".
export const SERVICE_NAME_PATTERN = '^[a-zA-Z0-9][a-zA-Z0-9._-]*$';

export const ServiceSchema = entry(
  {
    name: Type.String({
      pattern: SERVICE_NAME_PATTERN,
      hint: 'a name of letters, digits, ".", "_" and "-" that starts with a letter or digit',
      description: "The service's name; it is served under /services/<name>/.",
    }),
    admin: bool(false, 'Deprecated (as in JupyterHub): give the service the admin role; prefer load_roles.'),
    url: nullable(
      Type.String({ format: 'tshub-http-url' }),
      'Where the service listens; the proxy then routes /services/<name>/ to it. null for services without a web server.',
    ),
    api_token: nullable(
      Type.String({ minLength: 8 }),
      'The token the service uses for the hub API (at least 8 characters); null gives a managed service a new token at each start.',
    ),
    command: nullable(
      Type.Array(Type.String(), { minItems: 1 }),
      'The command that runs the service; the hub then starts it and restarts it when it exits. null for services run elsewhere.',
    ),
    environment: strMap('Extra environment variables for a managed service.'),
    cwd: nullable(Type.String({ minLength: 1 }), "The working directory of a managed service; null means the hub's."),
    user: nullable(
      Type.String({ minLength: 1 }),
      "The system user a managed service runs as; null means the hub's user.",
    ),
    oauth_client_id: nullable(
      Type.String({ minLength: 1 }),
      "The service's OAuth client id; null means service-<name>.",
    ),
    oauth_redirect_uri: nullable(
      Type.String({ format: 'tshub-url-or-path' }),
      'Where the OAuth flow returns to; null means <url prefix>/services/<name>/oauth_callback.',
    ),
    oauth_client_allowed_scopes: strList([], 'Scopes the service may ask users to grant it through OAuth.'),
    oauth_no_confirm: bool(false, 'Skip the page that asks users to confirm the OAuth grant.'),
    info: Type.Record(Type.String(), Type.Unknown(), {
      default: {},
      description: 'Free-form information shown in the services API.',
      hint: 'a mapping',
    }),
    display: bool(true, 'Whether the service is listed on the home page.'),
    timeout: nullable(
      Type.Number({ exclusiveMinimum: 0 }),
      "Seconds to wait for the service to answer; null means the hub's default.",
    ),
  },
  'A service: a program that uses the hub API, run by the hub (command) or elsewhere (url only).',
);

export const ServicesSchema = Type.Array(ServiceSchema, {
  default: [],
  description: "Services (JupyterHub's spec): programs that use the hub API, optionally run and proxied by the hub.",
});

export type ServiceSpec = Static<typeof ServiceSchema>;
