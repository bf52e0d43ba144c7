import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

// Timestamps are ISO-8601 UTC strings with milliseconds (sortable as text on both SQLite and PostgreSQL);
// booleans are 0/1 integers and structured values are JSON text, so both dialects return the same shapes.

export interface UsersTable {
  id: Generated<number>;
  name: string;
  admin: number;
  created: string;
  last_activity: string | null;
  auth_state: string | null;
  cookie_id: string;
}

export interface GroupsTable {
  id: Generated<number>;
  name: string;
  properties: string;
}

export interface UserGroupMapTable {
  user_id: number;
  group_id: number;
}

export interface RolesTable {
  id: Generated<number>;
  name: string;
  description: string | null;
  scopes: string;
}

export interface UserRoleMapTable {
  user_id: number;
  role_id: number;
}

export interface GroupRoleMapTable {
  group_id: number;
  role_id: number;
}

export interface ServiceRoleMapTable {
  service_id: number;
  role_id: number;
}

export interface ServicesTable {
  id: Generated<number>;
  name: string;
  admin: number;
  url: string | null;
  oauth_client_id: string | null;
  info: string;
  display: number;
  /** 1 for services defined in the config file (not deletable through the API), 0 for API-created ones. */
  from_config: number;
  created: string;
}

export interface ApiTokensTable {
  id: Generated<number>;
  /** `sha256:<hex>` for generated tokens; `scrypt:<salt>:<hex>` for possibly weak tokens given in config. */
  hashed: string;
  /** Display prefix, stored in clear to recognise a token in a list. */
  prefix: string;
  /** What made the token: 'api' (a person or script), 'server', 'oauth', 'config'. Limits count only 'api'. */
  kind: string;
  user_id: number | null;
  service_id: number | null;
  /** The OAuth client the token was issued to; 'jupyterhub' for ordinary API tokens. */
  client_id: string;
  session_id: string | null;
  note: string;
  /** JSON array of the (unexpanded) scopes requested for the token. */
  scopes: string;
  created: string;
  expires_at: string | null;
  last_activity: string | null;
  last_used_ip: string | null;
  revoked_at: string | null;
  /** The token this one replaced by rotation. */
  rotated_from: number | null;
  /** Set on the old token when it is rotated: the id of its replacement. */
  replaced_by: number | null;
}

export interface SpawnersTable {
  id: Generated<number>;
  user_id: number;
  /** '' is the default server. */
  name: string;
  display_name: string | null;
  state: string;
  started: string | null;
  last_activity: string | null;
  user_options: string;
  /** Where the running server listens (`http://127.0.0.1:port`); null when stopped. */
  server_url: string | null;
  /** 'spawn' or 'stop' while that transition is in flight, else null. */
  pending: string | null;
  oauth_client_id: string | null;
}

export interface OAuthClientsTable {
  id: Generated<number>;
  identifier: string;
  description: string;
  secret_hash: string | null;
  redirect_uri: string;
  allowed_scopes: string;
  created: string;
}

export interface OAuthCodesTable {
  id: Generated<number>;
  client_id: string;
  code_hash: string;
  user_id: number;
  session_id: string | null;
  redirect_uri: string;
  scopes: string;
  code_challenge: string | null;
  code_challenge_method: string | null;
  expires_at: string;
  created: string;
}

export interface UserPasswordsTable {
  user_id: number;
  /** An argon2id PHC string (`$argon2id$v=19$m=...`), which carries its own salt and parameters. */
  hash: string;
  updated: string;
  /** The TOTP secret as Fernet ciphertext (JUPYTERHUB_CRYPT_KEY), or null without a second factor. */
  otp_secret: string | null;
  /** The last TOTP time step accepted: codes of that step or earlier are refused (no replay). */
  otp_last_step: number | null;
}

/** A sign-up waiting for an admin's approval (authenticator.open_signup off): not a user yet. */
export interface SignupRequestsTable {
  name: string;
  hash: string;
  otp_secret: string | null;
  created: string;
}

export interface AuditLogTable {
  /** Assigned by the hub (last id + 1), since the record's hash covers it. */
  id: number;
  time: string;
  /** user | service | server | anonymous | system */
  actor_kind: string;
  actor_name: string | null;
  /** `a<id>` of the token the actor presented, if any. */
  actor_token_id: string | null;
  /** Dotted name, e.g. `token.create`, `login.failure`. */
  action: string;
  target_kind: string | null;
  target_name: string | null;
  /** The user (or service) the target belongs to: what lets users read the events about their things. */
  target_owner: string | null;
  /** success | failure | denied */
  outcome: string;
  reason: string | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  prev_hash: string;
  hash: string;
}

export interface AuditAnchorTable {
  id: number;
  last_id: number;
  hash: string;
  pruned_at: string;
}

/** A server shared with one user or one group (JupyterHub 5's Share). */
export interface SharesTable {
  id: Generated<number>;
  /** The server's owner (redundant with the spawner's user_id, as upstream: listings by owner skip a join). */
  owner_id: number;
  spawner_id: number;
  /** Exactly one of user_id and group_id is set. */
  user_id: number | null;
  group_id: number | null;
  /** JSON array of scopes, each filtered to the server (`access:servers!server=owner/name`). */
  scopes: string;
  created_at: string;
}

/** A code that becomes a Share for whoever accepts it (JupyterHub 5's ShareCode). */
export interface ShareCodesTable {
  id: Generated<number>;
  owner_id: number;
  spawner_id: number;
  /** `sha256:<hex>` of the code; the code itself is shown once, when made. */
  hashed: string;
  scopes: string;
  created_at: string;
  expires_at: string;
  last_exchanged_at: string | null;
  exchange_count: number;
}

/** A rotation with retire_on_use: the old token ends at the first use of the new one (migration 011). */
export interface TokenRetireOnUseTable {
  new_id: number;
  old_id: number;
}

/** An expiry notice sent: `before_seconds` before the token's expiry (migration 011). */
export interface TokenExpiryNoticesTable {
  token_id: number;
  before_seconds: number;
  sent_at: string;
}

/** Requests and errors (status >= 400) made with a token in one UTC day (migration 016). */
export interface TokenUsageDaysTable {
  token_id: number;
  /** YYYY-MM-DD, UTC. */
  day: string;
  requests: number;
  errors: number;
}

/** Requests made with a token to one route pattern (`GET /hub/api/users/:name`) in one UTC day (migration 016). */
export interface TokenUsageRoutesTable {
  token_id: number;
  day: string;
  route: string;
  requests: number;
}

/** One of the last distinct client IPs (`kind` 'ip') or user agents ('agent') a token was used from (migration 016). */
export interface TokenUsageClientsTable {
  token_id: number;
  kind: string;
  value: string;
  first_seen: string;
  last_seen: string;
  requests: number;
}

/** A device login (RFC 8628) waiting for the user's decision or the device's next poll (migration 014). */
export interface OAuthDeviceCodesTable {
  /** `sha256:<hex>` of the device code. */
  device_hash: string;
  /** `sha256:<hex>` of the user code, normalised (upper case, no dash). */
  user_code_hash: string;
  client_id: string;
  /** JSON list of the scopes the device asked for; null = the `token` role's. */
  scopes: string | null;
  requester_ip: string | null;
  user_agent: string | null;
  /** Seconds the device must wait between polls; grows by 5 with each slow_down. */
  interval: number;
  last_poll: string | null;
  status: 'pending' | 'approved' | 'denied';
  /** Who approved or denied it. */
  user_id: number | null;
  /** JSON list of the scopes the approving user granted (checked against what they hold). */
  approved_scopes: string | null;
  expires_at: string;
  created: string;
}

/** The hub's short id in its typed tokens, one row (migration 012). */
export interface HubIdentityTable {
  id: number;
  hub_id: string;
  created_at: string;
}

export interface TokenBindingsTable {
  token_id: number;
  allowed_cidrs: string;
  not_before: string | null;
}

export interface Database {
  users: UsersTable;
  groups: GroupsTable;
  user_group_map: UserGroupMapTable;
  roles: RolesTable;
  user_role_map: UserRoleMapTable;
  group_role_map: GroupRoleMapTable;
  service_role_map: ServiceRoleMapTable;
  services: ServicesTable;
  api_tokens: ApiTokensTable;
  spawners: SpawnersTable;
  oauth_clients: OAuthClientsTable;
  oauth_codes: OAuthCodesTable;
  user_passwords: UserPasswordsTable;
  signup_requests: SignupRequestsTable;
  audit_log: AuditLogTable;
  audit_anchor: AuditAnchorTable;
  shares: SharesTable;
  share_codes: ShareCodesTable;
  token_retire_on_use: TokenRetireOnUseTable;
  token_expiry_notices: TokenExpiryNoticesTable;
  token_usage_days: TokenUsageDaysTable;
  token_usage_routes: TokenUsageRoutesTable;
  token_usage_clients: TokenUsageClientsTable;
  oauth_device_codes: OAuthDeviceCodesTable;
  hub_identity: HubIdentityTable;
  token_bindings: TokenBindingsTable;
}

export type UserRow = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
export type GroupRow = Selectable<GroupsTable>;
export type RoleRow = Selectable<RolesTable>;
export type ServiceRow = Selectable<ServicesTable>;
export type TokenRow = Selectable<ApiTokensTable>;
export type NewToken = Insertable<ApiTokensTable>;
export type SpawnerRow = Selectable<SpawnersTable>;
export type AuditRow = Selectable<AuditLogTable>;
export type ShareRow = Selectable<SharesTable>;
export type ShareCodeRow = Selectable<ShareCodesTable>;
