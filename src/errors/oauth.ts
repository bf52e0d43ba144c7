import { HubError } from './hub-error.ts';

// Refusals of a login through an identity provider. The state messages are OAuthenticator's.

export const oauthStateMissingFromCookies = () =>
  new HubError(400, 'OAuth state missing from cookies', 'oauth_state_invalid');

export const oauthStateMissingFromUrl = () => new HubError(400, 'OAuth state missing from URL', 'oauth_state_invalid');

export const oauthStateMismatch = () => new HubError(400, 'OAuth state mismatch', 'oauth_state_invalid');

/** The provider sent the browser back with `error` (the person cancelled, or the provider refused). */
export const oauthProviderError = (description: string) =>
  new HubError(400, `OAuth error: ${description}`, 'oauth_failed');

export const oauthCodeMissing = () => new HubError(400, 'OAuth callback made without a code', 'oauth_failed');

/** The code exchange or the verification of what came back failed; `why` is safe to show. */
export const oauthLoginFailed = (why: string) =>
  new HubError(403, `Sign-in with the identity provider failed: ${why}`, 'oauth_failed');

export const oauthUnavailable = (why: string) =>
  new HubError(502, `The identity provider is unavailable: ${why}`, 'oauth_unavailable');

/** Upstream's custom_403_message: the provider vouched for the person, the hub does not admit them. */
export const loginNotAllowed = (message: string) => new HubError(403, message, 'login_not_allowed');
