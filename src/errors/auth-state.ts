import { HubError } from './hub-error.ts';

// auth_state and the re-check of a login with the identity provider.

/** Upstream answers a 500 here (its encrypt raises); the refusal is the client's to fix, so a 400 that says why. */
export const authStateUnavailable = (why: string) =>
  new HubError(400, `auth_state cannot be stored: ${why}`, 'auth_state_unavailable');

/** JupyterHub's message when refresh_pre_spawn finds the login no longer valid. */
export const authExpired = (name: string) =>
  new HubError(403, `auth has expired for ${name}, login again`, 'auth_expired');
