/**
 * Every `reason` the hub sends beside JupyterHub's `{"status", "message"}`, with what it means. Scripts
 * branch on these, so they are part of the API: `docs/api-errors.md` lists each one (a test holds the two
 * together), and a reason is never renamed once released. Add new ones here, in their domain's block.
 */
export const REASONS = {
  // Requests
  invalid_request: 'The body, query or path is malformed or names something invalid; the message says what.',
  not_found: 'No such resource, or no permission to see it (the two are not told apart, as in JupyterHub).',
  conflict: 'The resource already exists (possibly created by a concurrent request).',
  not_modifiable: 'The resource comes from the config file and cannot be changed through the API.',
  body_too_large: 'The request body exceeds `max_body_size`.',
  internal_error: 'The hub failed; its log has the details.',
  // Credentials and permissions
  credentials_missing: 'No token, and no login cookie.',
  token_unknown: 'The token is not one this hub issued.',
  token_malformed: "The token's form or checksum is wrong (a typo or truncation).",
  token_expired: 'The token is past its expiry.',
  token_revoked: 'The token was revoked.',
  token_rotated: 'The token was replaced by rotation and its grace period is over.',
  insufficient_scope: 'The credentials are valid but hold none of `required_scopes`.',
  admin_required: 'Only an admin may do this (grant admin, change an admin).',
  xsrf_missing: 'A cookie-authenticated request without the XSRF token.',
  xsrf_mismatch: 'A cookie-authenticated request whose XSRF token does not match the cookie.',
  rate_limited: 'Too many requests; wait `Retry-After` seconds.',
  too_many_failures: 'Too many failed logins for this name or address; wait `Retry-After` seconds.',
  user_blocked: 'The user is in `authenticator.blocked_users`.',
  // Login through an identity provider (authenticator.class: oauth)
  oauth_state_invalid:
    "The sign-in's state is missing, expired or not this browser's (a forged, replayed or stale callback).",
  oauth_failed: 'The identity provider refused the sign-in, or its answer failed verification (code, id_token, nonce).',
  oauth_unavailable: 'The identity provider could not be reached or its metadata is unusable.',
  // Login against an LDAP directory (authenticator.class: ldap)
  ldap_unavailable: 'The LDAP server could not be reached, or its TLS certificate or answer was refused.',
  login_not_allowed:
    "The person authenticated, but the hub does not admit them: not in `allowed_users`, `admin_users` or an identity provider's `allowed_groups`, nor an existing user with `allow_existing_users` (with `allow_all` off), or an invalid name.",
  auth_hook_failed: "The config's `post_auth_hook` threw, or returned something other than the auth model or null.",
  // The password authenticator's accounts (sign-up approval, password changes)
  signup_pending: "The password is right, but the sign-up waits for an admin's approval (`open_signup` off).",
  wrong_password: 'A password change was refused: the current password given is not correct.',
  // auth_state (encrypted with JUPYTERHUB_CRYPT_KEY) and re-checking a login with the provider
  auth_state_unavailable: 'auth_state cannot be stored: no valid key in `JUPYTERHUB_CRYPT_KEY`.',
  auth_expired: 'The identity provider no longer vouches for the user (a refused refresh): log in again.',
  // Users and groups
  invalid_username: 'The name does not pass the username rules (`username_pattern`).',
  cannot_delete_self: 'A user cannot delete themselves.',
  server_stop_pending: "The user's servers are still stopping; try again shortly.",
  // Tokens
  token_limit_reached: 'The user already holds `tokens.max_active_per_user` active tokens.',
  token_lifetime_exceeded: '`expires_in` is longer than `tokens.expires_in_max_seconds`.',
  token_not_rotatable:
    "This kind of token (a server's, an OAuth client's, one from the config) is not rotated by request.",
  scope_not_held: 'A token was asked for with scopes its owner does not hold.',
  token_policy_max_lifetime:
    "The personal token is older than `tokens.expires_in_max_seconds` (or its owner role's), even if it was made before the rule.",
  token_policy_never_expires: 'A personal token without an expiry, refused by `tokens.allow_never_expire: false`.',
  token_policy_idle: 'The personal token was not used for `tokens.revoke_idle_after_days` days.',
  token_policy_inherit:
    "A personal token holding all its owner's permissions (`inherit`), refused by `tokens.forbid_inherit`.",
  token_ip_not_allowed: "The request comes from an address outside the token's `allowed_cidrs`.",
  token_not_yet_valid: "The token's `not_before` time has not come yet.",
  no_token_in_hand: '`tokens/self` was asked for by a request not made with a token (a browser session).',
  // Servers
  named_servers_disabled: '`allow_named_servers` is off.',
  named_server_limit: 'The user has `named_server_limit_per_user` named servers already.',
  invalid_server_name: 'The server name is not valid.',
  server_running: 'The server is already running.',
  server_pending: 'The server is starting or stopping; wait for it to finish.',
  spawn_limit: '`concurrent_spawn_limit` servers are starting at once; try again after `Retry-After`.',
  active_server_limit: '`active_server_limit` servers are running; try again after `Retry-After`.',
  spawn_failed: 'The server failed to start; the message says why.',
  invalid_user_option:
    'A user_options value names no profile, no choice of an option, or a typed value that fails its validation_regex; `field` says which.',
  spawn_failure_limit: '`consecutive_failure_limit` starts in a row failed; no start until the hub restarts.',
  server_token_required: "Only a server's own API token may do this (report its port to `POST /hub/api/batchspawner`).",
  port_not_expected:
    'A reported port nobody waits for: the server is not starting, or its spawner does not take one (only slurm does).',
  invalid_display_name: 'The server display name is empty, too long, or has control characters or stray spaces.',
  server_active: 'The server is running, starting or stopping; stop it before renaming or changing it.',
  // Sharing (shares and share codes)
  share_scope_invalid:
    "A share may grant only `access:servers` of the shared server (unfiltered or with that server's filter).",
  share_code_invalid: 'The share code is unknown, expired or revoked.',
} as const;

export type Reason = keyof typeof REASONS;
