import { Type } from 'typebox';
import type { Static } from 'typebox';
import { landingProperties } from './schema-landing.ts';
import { bool, entry, int, section, str, strList } from './schema-util.ts';

// Upstream's rules (roles.py and scopes.py); the rbac module checks the same patterns at runtime.
export const ROLE_NAME_PATTERN = '^[a-z][a-z0-9\\-_~.]{1,253}[a-z0-9]$';
export const CUSTOM_SCOPE_PATTERN = '^custom:[a-z0-9][a-z0-9_\\-*:]+[a-z0-9_*]$';

const httpUrl = (def: string, description: string) =>
  Type.String({ format: 'tshub-http-url', default: def, description });

export const RoleSchema = entry(
  {
    name: Type.String({
      pattern: ROLE_NAME_PATTERN,
      hint: 'a role name: lowercase letters, digits and "-_~.", 3 to 255 characters, starting with a letter',
      description: "The role's name; naming a default role (user, admin, server, token) changes it.",
    }),
    description: Type.Optional(Type.String({ description: 'What the role is for.' })),
    scopes: Type.Optional(Type.Array(Type.String(), { description: 'The scopes the role grants.' })),
    users: Type.Optional(
      Type.Array(Type.String(), { description: 'Users who hold the role (the list is exact: others lose it).' }),
    ),
    services: Type.Optional(Type.Array(Type.String(), { description: 'Services that hold the role.' })),
    groups: Type.Optional(Type.Array(Type.String(), { description: 'Groups that hold the role.' })),
  },
  'A role: a named set of scopes, and who holds it.',
);

export const CustomScopeSchema = entry(
  {
    description: Type.String({ description: 'What the scope allows, shown when a user is asked to grant it.' }),
    subscopes: Type.Optional(Type.Array(Type.String(), { description: 'Scopes that this one implies.' })),
  },
  'A custom scope, for services to check.',
);

/** Top-level keys; the sections (authenticator, spawner, ...) are added in schema.ts. */
export const hubProperties = {
  bind_url: httpUrl(
    'http://127.0.0.1:8000/',
    'The public URL, served by the proxy; its path is the base URL of everything.',
  ),
  hub_bind_url: httpUrl(
    'http://127.0.0.1:8081/',
    'Where the hub itself listens (the proxy and servers reach it there).',
  ),
  db_url: Type.String({
    format: 'tshub-db-url',
    default: 'sqlite:///tshub.sqlite',
    description:
      'The database: sqlite:///relative/path, sqlite:////absolute/path, sqlite:// (in memory) or postgresql://user@host:port/db.',
  }),
  cookie_secret_file: str(
    'tshub_cookie_secret',
    'The file holding the secret that signs login cookies; created if missing.',
  ),
  allow_named_servers: bool(false, 'Let users run several named servers besides their default one.'),
  named_server_limit_per_user: int(0, 'How many named servers a user may have (0 = no limit).'),
  concurrent_spawn_limit: int(100, 'How many servers may be starting at the same time (0 = no limit).'),
  active_server_limit: int(0, 'How many servers may be running or starting at the same time (0 = no limit).'),
  api_page_default_limit: int(50, 'Items per page of API list responses when the client asks for no limit.', 1),
  api_page_max_limit: int(200, 'The most items per page an API client may ask for.', 1),
  slow_spawn_timeout: int(
    10,
    'Seconds a start request waits before answering 202 and letting the spawn go on in the background.',
  ),
  slow_stop_timeout: int(
    10,
    'Seconds a stop request waits before answering 202 and letting the stop go on in the background.',
  ),
  activity_resolution: int(
    30,
    'Seconds below which activity updates (last_activity, token last used) are not written again.',
  ),
  last_activity_interval: int(
    300,
    "Seconds between reads of the proxy's per-route traffic times into users' and servers' last_activity (what the idle culler sees).",
    1,
  ),
  cleanup_servers: bool(false, 'Stop all single-user servers when the hub shuts down.'),
  // Key rules go in propertyNames (standard JSON Schema, which TypeBox checks too) rather than in
  // a key pattern with additionalProperties: false, which TypeBox's Value.Default trips over.
  custom_scopes: Type.Record(Type.String(), CustomScopeSchema, {
    propertyNames: { type: 'string', pattern: CUSTOM_SCOPE_PATTERN },
    default: {},
    keyHint: 'a scope name starting with "custom:" (lowercase letters, digits, "_-*:")',
    hint: 'a mapping of custom scope names to {description, subscopes}',
    description: 'Custom scopes (names starting with custom:) that roles can grant and services can check.',
  }),
  load_roles: Type.Array(RoleSchema, {
    default: [],
    description: 'Roles to create or change at start, with their scopes and members.',
  }),
  extra_user_scopes: strList(
    [],
    "Scopes added to the default `user` role, which every user holds (e.g. access:services). Ignored when load_roles gives the user role's scopes itself.",
  ),
  load_groups: Type.Record(
    Type.String(),
    Type.Union([
      entry(
        {
          users: Type.Optional(
            Type.Array(Type.String(), { description: 'Users added to the group (created if missing).' }),
          ),
          properties: Type.Optional(
            Type.Record(Type.String(), Type.Unknown(), {
              description: "The group's properties (replace the stored ones).",
            }),
          ),
        },
        'A group: members to add, and its properties.',
      ),
      Type.Array(Type.String(), { description: "The older form: just the group's members." }),
    ]),
    {
      default: {},
      keyHint: 'a group name',
      hint: 'a mapping of group names to {users, properties}',
      description:
        'Groups created at start, with members added (never removed) and properties set. Groups and members from earlier starts stay; remove them through the API.',
    },
  ),
  api_tokens: Type.Record(Type.String(), Type.String({ minLength: 1 }), {
    // tokens from config may be weak; at least demand some length
    propertyNames: { type: 'string', minLength: 8 },
    default: {},
    secretKeys: true,
    keyHint: 'a token of at least 8 characters',
    hint: 'a mapping of tokens to user names',
    description: 'Tokens given here (token: user name), for scripts; the user is created if missing.',
  }),
  template_paths: strList([], 'Directories searched for page templates before the built-in ones.'),
  log_level: Type.Union(
    [
      Type.Literal('trace'),
      Type.Literal('debug'),
      Type.Literal('info'),
      Type.Literal('warn'),
      Type.Literal('error'),
      Type.Literal('fatal'),
      Type.Literal('silent'),
    ],
    {
      default: 'info',
      description: 'The least severe log level written: trace, debug, info, warn, error, fatal or silent.',
    },
  ),
  max_body_size: int(1048576, 'The largest request body the hub accepts, in bytes.', 1),
  authenticate_prometheus: bool(true, 'Whether /hub/metrics and /hub/api/metrics need a token with read:metrics.'),
  oauth_token_expires_in: int(
    1209600,
    'Seconds an OAuth access token (e.g. a login to a single-user server) stays valid.',
    1,
  ),
  oauth_device_code_expires_in: int(
    600,
    'Seconds a device login (tshub login, RFC 8628) waits for the user to approve it at /hub/device.',
    1,
  ),
  oauth_device_poll_interval: int(5, 'Seconds a device must wait between polls of a pending device login.', 1),
  trust_user_provided_tokens: bool(
    false,
    'Treat tokens given in this file as strong (a fast hash) instead of possibly weak (a slow one).',
  ),
  read_cache: section(
    {
      enabled: bool(
        true,
        'Whether repeated reads (whoami, user listings) are answered from memory while nothing was written. ' +
          'Answers are never stale; the cache holds at most 4 MB. Benchmarks turn it off to measure the full path.',
      ),
    },
    'The serialized answers the hub reuses for repeated reads.',
  ),
  ...landingProperties,
};

export type RoleSpec = Static<typeof RoleSchema>;
export type CustomScopeSpec = Static<typeof CustomScopeSchema>;
