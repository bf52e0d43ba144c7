// The error catalogue: every refusal the hub sends is made by a factory here, one file per domain.
export { HubError } from './hub-error.ts';
export { REASONS, type Reason } from './reasons.ts';
export * from './request.ts';
export * from './auth.ts';
export * from './servers.ts';
export * from './oauth.ts';
export * from './ldap.ts';
export * from './passwords.ts';
export * from './http.ts';
export * from './tokens.ts';
export * from './tokens-policy.ts';
export * from './users.ts';
export * from './groups.ts';
export * from './profiles.ts';
export * from './auth-state.ts';
export * from './batchspawner.ts';
export * from './shares.ts';
export * from './token-expiry.ts';
